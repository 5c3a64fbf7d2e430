import { z } from 'zod';
import { defineCommand, defineEvent, defineRoute } from '@cadre/proto';
import { checkRegistry, defineService, gatewayView, packageVersion, type AnyServiceDefinition } from './index';

const ping = defineCommand({ domain: 'pings', name: 'ping', description: 'Ping', request: z.object({}), reply: z.object({ ok: z.boolean() }) });
const route = defineRoute({ method: 'post', path: '/v1/pings', operationId: 'ping', summary: 'Ping', tags: ['pings'], access: 'user', successStatus: 200, message: ping });
const pinged = defineEvent({ type: 'pinged', domain: 'pings', version: 1, description: 'Pinged', data: z.object({}) });

function service(overrides: Partial<AnyServiceDefinition> = {}): AnyServiceDefinition {
  return {
    name: 'pings', description: 'Pings', version: '1.0.0', config: { shape: {}, load: () => ({}) }, schema: () => 'pings',
    events: [{ name: 'pings', visibility: 'owner' }], eventTypes: [pinged], migrations: {}, routes: [route],
    context: () => ({}), endpoints: () => [], ...overrides,
  };
}

describe('defineService', () => {
  it('takes a well-formed definition as it is', () => {
    const definition = service();
    expect(defineService(definition)).toBe(definition);
  });

  it('refuses a bad name, no event domain, a route that sends nothing, and an event of a domain it does not name', () => {
    expect(() => defineService(service({ name: 'Pings!' }))).toThrow(/service name/);
    expect(() => defineService(service({ events: [] }))).toThrow(/at least one event domain/);
    const { message: _message, ...bare } = route;
    expect(() => defineService(service({ routes: [bare] }))).toThrow(/route ping has no message/);
    expect(() => defineService(service({ events: [{ name: 'other', visibility: 'public' }] }))).toThrow(/event pinged is of domain pings/);
  });

  it('reads its version from the nearest package.json', () => {
    expect(packageVersion(__dirname)).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('a registry', () => {
  it('refuses a service twice, an event domain of two services, and a route mounted twice', () => {
    expect(() => checkRegistry([service(), service()])).toThrow(/registered twice/);
    expect(() => checkRegistry([service(), service({ name: 'other', routes: [] })])).toThrow(/event domain pings belongs to pings and other/);
    expect(() => checkRegistry([service(), service({ name: 'other', events: [{ name: 'others', visibility: 'admin' }], eventTypes: [] })])).toThrow(/mounted by two services/);
  });

  it('gives the gateway every service\'s routes in order and each domain\'s visibility', () => {
    const other = service({ name: 'other', events: [{ name: 'others', visibility: 'admin' }], eventTypes: [], routes: [] });
    expect(gatewayView(checkRegistry([service(), other]))).toEqual({ routes: [route], visibility: { pings: 'owner', others: 'admin' } });
  });
});
