export type { ServiceDeps } from './deps';
export { startService, shutdownOnSignals, type Service, type ServiceOptions } from './service';
export { createServiceMetrics, exposition, type ServiceMetrics } from './metrics';
export { watchConsumerLag } from './consumer-metrics';
export { eventStoreMetrics, type EventStoreMetrics } from './store-metrics';
export { startProbeServer, runChecks, type Check, type ProbeServer } from './probes';
export { startReporter, toLogLine, type Reporter, type ReporterOptions } from './instances/reporter';
export { startInstanceRegistry, type InstanceRegistry, type InstanceRegistryOptions } from './instances/registry';
export { watchQueueDepth } from './queue-metrics';
export {
  endpoint, callOf, requirePrincipal, requireAdmin, actorOf, metaOf, ownerOf, mayAccess, requireAccess, ownerFilter, requireUser, userOfActor, type Call,
} from './endpoint';
export { call } from './call';
export { createPool } from './pool';
export { poolPart, SLOW_STOP_MS, stopInOrder, type StoppablePart } from './stop-parts';
export { createSecretBox, type SecretBox } from './secret-box';
export { startPeriodic, type PeriodicOptions } from './periodic';
