export {
  defineService, packageVersion,
  type AnyServiceDefinition, type ConfigSpec, type EventDomain, type Migrations, type ServiceDefinition, type ServiceKit, type Worker,
} from './define';
export { migrateService } from './migrate';
export { startDefinedService, type DefinedService, type StartOptions } from './start';
export { checkRegistry, findService, gatewayView, type GatewayView, type ServiceRegistry } from './registry';
export { BACKSTOP_LINGER_MS, startProjection, type ProjectionKit } from './projection';
