import { agentsService } from '@cadre/agents';
import { identityService } from '@cadre/identity';
import { checkRegistry, type ServiceRegistry } from '@cadre/kit';
import { projectsService } from '@cadre/projects';
import { runsService } from '@cadre/runs';
import { voiceService } from '@cadre/voice';
import { swarmsService } from '@cadre/swarms';
import { memoryService } from '@cadre/memory';
import { knowledgeService } from '@cadre/knowledge';

/**
 * Every domain service of Cadre, in start order (stopped in reverse). The all-in-one process,
 * the single-service entry point, the tests, the benches and the deploy manifests all read it:
 * adding a service is one line here (and its deploy entry).
 */
export const registry: ServiceRegistry = checkRegistry([identityService, runsService, agentsService, memoryService, swarmsService, projectsService, voiceService, knowledgeService]);
