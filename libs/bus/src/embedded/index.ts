export { createEmbeddedBus, type EmbeddedBusOptions } from './bus';
export type { EmbeddedBusLogger } from './logger';
