import type { RouteDefinition } from '../route';
import { gatewayRoutes } from './gateway';
import { identityRoutes } from './identity';
import { pipelineRoutes, runRoutes } from './runs';
import { agentRoutes } from './agents';
import { adminRoutes } from './admin';

export * from './gateway';
export * from './identity';
export * from './runs';
export * from './agents';
export * from './admin';

/**
 * Every HTTP route of Cadre, one list per owner: the gateway mounts them, the OpenAPI document
 * is generated from them, and the auth tests walk them. Append a domain's list; never reorder.
 */
export const allRoutes: readonly RouteDefinition[] = [
  ...gatewayRoutes,
  ...identityRoutes,
  ...agentRoutes,
  ...pipelineRoutes,
  ...runRoutes,
  ...adminRoutes,
];
