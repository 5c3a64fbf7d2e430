// Runs after every end-to-end suite (jest `setupFilesAfterEnv` of the e2e project): each answer the
// suite got through `call()` must be one the OpenAPI document declares — its status among the
// operation's responses, a success body that parses with the route's response schema, an error
// body in the one error envelope. So the document cannot drift from what the API answers.
import { adminRoutes, allRoutes, gatewayRoutes, type RouteDefinition } from '@cadre/proto';
import { buildOpenApi } from '../../services/gateway/src/docs/openapi';
import type { RecordedResponse } from './contract-responses';

const routes: readonly RouteDefinition[] = [...new Map([...gatewayRoutes, ...adminRoutes, ...allRoutes].map((r) => [`${r.method} ${r.path}`, r])).values()];
const document = buildOpenApi(routes, { version: 'test', serverUrl: '/' }) as {
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};

const matchers = routes.map((route) => ({
  route,
  pattern: new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\\{[^}]+\\\}|\{[^}]+\}/g, '[^/]+')}$`),
  // Literal segments first: `/v1/llm-calls/summary` before `/v1/llm-calls/{id}`.
  literal: route.path.split('/').filter((s) => !s.startsWith('{')).length,
})).sort((a, b) => b.literal - a.literal);

function routeOf(method: string, path: string): RouteDefinition | undefined {
  return matchers.find((m) => m.route.method === method && m.pattern.test(path))?.route;
}

/** What is wrong with one answer, or undefined. */
export function contractProblem(response: RecordedResponse): string | undefined {
  const route = routeOf(response.method, response.path);
  if (route === undefined) return undefined; // not a documented operation (a test service's, a 404 probe)
  const where = `${response.method.toUpperCase()} ${route.path} → ${response.status}`;
  const declared = document.paths[route.path]?.[route.method]?.responses ?? {};
  if (!(String(response.status) in declared)) return `${where}: status not declared (declared: ${Object.keys(declared).join(', ')})`;
  if (response.status >= 400) {
    const body = response.body as { error?: unknown; code?: unknown };
    if (typeof body !== 'object' || body === null || typeof body.error !== 'string' || typeof body.code !== 'string') return `${where}: not the error envelope`;
    return undefined;
  }
  if (response.status === route.successStatus && route.response && response.contentType.includes('json')) {
    const parsed = route.response.safeParse(response.body);
    if (!parsed.success) return `${where}: body does not match the response schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`;
  }
  return undefined;
}

beforeAll(() => {
  globalThis.__cadreResponses = [];
});

afterAll(() => {
  const seen = globalThis.__cadreResponses ?? [];
  globalThis.__cadreResponses = undefined;
  const problems = [...new Set(seen.flatMap((response) => contractProblem(response) ?? []))];
  expect(problems).toEqual([]);
});
