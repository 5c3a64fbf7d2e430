import type { RouteDefinition, Visibility } from '@cadre/proto';
import type { AnyServiceDefinition } from './define';

/** The domain services of a deployment, in start order (stopped in reverse). */
export type ServiceRegistry = readonly AnyServiceDefinition[];

/** What the gateway takes from a registry: the routes to mount and who sees each event domain. */
export interface GatewayView {
  readonly routes: readonly RouteDefinition[];
  readonly visibility: Readonly<Record<string, Visibility>>;
}

/** Checks a registry once: names and event domains are unique, routes are not mounted twice. */
export function checkRegistry(registry: ServiceRegistry): ServiceRegistry {
  const names = new Set<string>();
  const domains = new Map<string, string>();
  const routes = new Set<string>();
  for (const service of registry) {
    if (names.has(service.name)) throw new Error(`service ${service.name} is registered twice`);
    names.add(service.name);
    for (const domain of service.events) {
      const owner = domains.get(domain.name);
      if (owner !== undefined) throw new Error(`event domain ${domain.name} belongs to ${owner} and ${service.name}`);
      domains.set(domain.name, service.name);
    }
    for (const route of service.routes) {
      const key = `${route.method} ${route.path}`;
      if (routes.has(key)) throw new Error(`route ${key} is mounted by two services`);
      routes.add(key);
    }
  }
  return registry;
}

export function findService(registry: ServiceRegistry, name: string): AnyServiceDefinition | undefined {
  return registry.find((service) => service.name === name);
}

/** The routes of every service, in registry order, and the visibility of every event domain. */
export function gatewayView(registry: ServiceRegistry): GatewayView {
  const visibility: Record<string, Visibility> = {};
  for (const service of registry) for (const domain of service.events) visibility[domain.name] = domain.visibility;
  return { routes: registry.flatMap((service) => service.routes), visibility };
}
