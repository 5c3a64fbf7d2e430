export type { ServiceDeps } from './deps';
export { startService, shutdownOnSignals, type Service, type ServiceOptions } from './service';
export { createServiceMetrics, type ServiceMetrics } from './metrics';
export { startProbeServer, runChecks, type Check, type ProbeServer } from './probes';
export { startReporter, toLogLine, type Reporter, type ReporterOptions } from './instances/reporter';
export { startInstanceRegistry, type InstanceRegistry, type InstanceRegistryOptions } from './instances/registry';
export { watchQueueDepth } from './queue-metrics';
export { endpoint, callOf, requirePrincipal, requireAdmin, actorOf, metaOf, type Call } from './endpoint';
export { createPool } from './pool';
