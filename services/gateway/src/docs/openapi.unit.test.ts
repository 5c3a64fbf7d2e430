import { allRoutes } from '@cadre/proto';
import { buildOpenApi } from './openapi';

type Operation = { security: unknown[]; responses: Record<string, unknown>; parameters?: Array<{ in: string; required: boolean; name: string }> };

describe('OpenAPI document', () => {
  const doc = buildOpenApi(allRoutes, { version: '1.2.3', serverUrl: 'http://localhost:8000' }) as {
    openapi: string; paths: Record<string, Record<string, Operation>>;
  };

  it('describes every route of the table once', () => {
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    expect(operations).toHaveLength(allRoutes.length);
  });

  it('requires a credential on every route but the public ones, with 401 documented', () => {
    for (const route of allRoutes) {
      const op = doc.paths[route.path]![route.method]!;
      if (route.access === 'public') expect(op.security).toEqual([]);
      else {
        expect(op.security.length).toBeGreaterThan(0);
        expect(op.responses['401']).toBeDefined();
      }
    }
  });

  it('marks every path parameter required', () => {
    for (const route of allRoutes) {
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const params = doc.paths[route.path]![route.method]!.parameters?.filter((p) => p.in === 'path') ?? [];
      expect(params.map((p) => p.name)).toEqual(names);
      expect(params.every((p) => p.required)).toBe(true);
    }
  });
});
