export { createEmbeddedBus, type EmbeddedBusOptions } from './bus';
