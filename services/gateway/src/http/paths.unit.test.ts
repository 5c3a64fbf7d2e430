import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '@cadre/proto';
import { assertRouteTable, bySpecificity, toExpressPath } from './paths';
import { requestIdFrom } from './request-context';

const route = (method: RouteDefinition['method'], path: string, extra: Partial<RouteDefinition> = {}): RouteDefinition =>
  defineRoute({ method, path, operationId: `${method}${path}`, summary: 's', tags: ['t'], access: 'user', successStatus: 200, ...extra });

describe('route table', () => {
  it('turns OpenAPI templates into Express paths', () => {
    expect(toExpressPath('/v1/projects/{id}/tasks/{tid}/claim')).toBe('/v1/projects/:id/tasks/:tid/claim');
  });

  it('tries literal segments before parameters', () => {
    const sorted = [route('get', '/v1/mcp/{id}'), route('get', '/v1/mcp/config.json'), route('get', '/v1/mcp/{id}/logs')].sort(bySpecificity);
    expect(sorted.map((r) => r.path)).toEqual(['/v1/mcp/config.json', '/v1/mcp/{id}', '/v1/mcp/{id}/logs']);
  });

  it('refuses a body field that would replace a path parameter', () => {
    const bad = route('put', '/v1/users/{id}', { params: z.object({ id: z.string() }), body: z.object({ id: z.string() }) });
    expect(() => assertRouteTable([bad])).toThrow(/shadow path parameters/);
  });

  it('refuses two routes on the same method and path shape', () => {
    expect(() => assertRouteTable([route('get', '/v1/a/{id}'), { ...route('get', '/v1/a/{key}'), operationId: 'other' }])).toThrow(/two routes/);
  });
});

describe('request ids', () => {
  it('keeps safe characters, bounds the length, and generates one when nothing is left', () => {
    expect(requestIdFrom('abc-123')).toBe('abc-123');
    expect(requestIdFrom('a b\n<c>')).toBe('abc');
    expect(requestIdFrom('x'.repeat(500))).toHaveLength(128);
    expect(requestIdFrom('<>')).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
