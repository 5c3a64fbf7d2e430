export type * from './types';
export { connectNatsBus, type NatsBusOptions, type BusLogger } from './nats';
export { injectTraceContext, extractTraceContext, withTraceContext } from './trace';
export { encodeJson, decodeJson } from './codec';
export { createEmbeddedBus, type EmbeddedBusOptions, type EmbeddedBusLogger } from './embedded';
