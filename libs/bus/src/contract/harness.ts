import type { Bus } from '../types';

/**
 * What the contract suite needs from a transport under test. `open` may be called several
 * times (two "processes" on one bus: request/reply across them, consumers shared by replicas).
 */
export interface BusHarness {
  readonly label: 'nats' | 'embedded';
  /** A new bus connected to the same broker / database as the others of this harness. */
  open(): Promise<Bus>;
  /** Closes every bus opened and releases the servers. */
  dispose(): Promise<void>;
}
