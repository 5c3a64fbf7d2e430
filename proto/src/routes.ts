import type { RouteDefinition } from './http/route';
import { adminRoutes } from './admin/routes';
import { agentRoutes } from './agents/routes';
import { gatewayRoutes } from './gateway/routes';
import { identityRoutes } from './identity/routes';
import { pipelineRoutes, runRoutes } from './runs/routes';
import { voiceRoutes } from './voice/routes';
import { projectRoutes } from './projects/routes';
import { swarmRoutes } from './swarms/routes';
import { memoryRoutes } from './memory/routes';
import { knowledgeRoutes } from './knowledge/routes';

/**
 * Every HTTP route of Cadre, one list per owner, each defined in its owner's folder
 * (`<domain>/routes.ts`): the gateway mounts them, the OpenAPI document is generated from
 * them, and the auth tests walk them. Append a domain's list; never reorder.
 */
export const allRoutes: readonly RouteDefinition[] = [
  ...gatewayRoutes,
  ...identityRoutes,
  ...agentRoutes,
  ...pipelineRoutes,
  ...runRoutes,
  ...adminRoutes,
  ...voiceRoutes,
  ...projectRoutes,
  ...swarmRoutes,
  ...memoryRoutes,
  ...knowledgeRoutes,
];
