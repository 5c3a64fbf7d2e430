export { connectNatsBus, type NatsBusOptions } from './bus';
export type { BusLogger } from './logger';
