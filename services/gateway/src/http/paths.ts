import type { RouteDefinition } from '@cadre/proto';

/** OpenAPI templating to Express: `/v1/users/{id}` → `/v1/users/:id`. */
export function toExpressPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

/** The `{names}` of a templated path, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1] as string);
}

/**
 * Orders routes for Express, which tries them in turn: at the first segment where two paths
 * differ in kind, a literal beats a parameter, so `/v1/mcp/config.json` is not taken for
 * `/v1/mcp/{id}`. (A key of 0s and 1s compared as strings is a total order, unlike a pairwise rule.)
 */
export function bySpecificity(a: RouteDefinition, b: RouteDefinition): number {
  const key = (route: RouteDefinition) => route.path.split('/').map((segment) => (segment.startsWith('{') ? '1' : '0')).join('');
  const ka = key(a);
  const kb = key(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Fails fast on contract mistakes the gateway would otherwise turn into odd behaviour. */
export function assertRouteTable(routes: readonly RouteDefinition[]): void {
  const seen = new Set<string>();
  const operationIds = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${toExpressPath(route.path).replace(/:[A-Za-z0-9_]+/g, ':')}`;
    if (seen.has(key)) throw new Error(`two routes answer ${route.method.toUpperCase()} ${route.path}`);
    seen.add(key);
    if (operationIds.has(route.operationId)) throw new Error(`operationId ${route.operationId} is used twice`);
    operationIds.add(route.operationId);
    const names = pathParamNames(route.path);
    const declared = Object.keys(route.params?.shape ?? {});
    for (const name of names) {
      if (route.params && !declared.includes(name)) throw new Error(`route ${route.operationId}: params schema lacks {${name}}`);
    }
    const bodyShape = (route.body as { shape?: Record<string, unknown> } | undefined)?.shape;
    const clash = Object.keys(bodyShape ?? {}).filter((key) => names.includes(key));
    // The payload is { ...params, ...query, ...body }: a body field must not be able to replace a path id.
    if (clash.length > 0) throw new Error(`route ${route.operationId}: body field(s) ${clash.join(', ')} shadow path parameters`);
  }
}
