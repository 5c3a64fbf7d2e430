export type * from './types';
export type { BusLogger } from './logger';
export { connectNatsBus, type NatsBusOptions } from './nats';
export { createEmbeddedBus, type EmbeddedBusOptions } from './embedded';
export { isConnectionError } from './embedded/errors';
export { injectTraceContext, extractTraceContext, withTraceContext } from './trace';
export { encodeJson, decodeJson } from './codec';
export { groupCommit, type GroupCommitLimits, type GroupCommitParts } from './group-commit';
export { publishInTurn } from './publish-in-turn';
