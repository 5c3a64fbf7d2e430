export { loadSwarmsConfig, swarmsConfigShape, type SwarmsConfig } from './config';
export { validateDag, type DagShape } from './dag/validate';
export { decideSwarm, backoffDelay, type SwarmCommand, type SwarmRequest, type RunOutcome } from './swarm/decide';
export { swarmDecider } from './swarm/decider';
export { evolve, initialSwarmState, type SwarmState } from './swarm/state';
export { swarmsService } from './service';
