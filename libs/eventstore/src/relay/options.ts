import type { Pool } from 'pg';
import type { Bus } from '@cadre/bus';

/** The logger calls the relay makes (a pino logger fits). */
export interface RelayLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Counters the relay reports; wire them to Prometheus counters of the same names. */
export type RelayCounter =
  | 'published'
  | 'duplicates'
  | 'batches'
  | 'publish_failures'
  | 'batch_failures'
  | 'listener_reconnects';

export interface OutboxRelayOptions {
  /** The store whose outbox to relay (an EventStore fits), or a pool and schema. */
  readonly store: { readonly pool: Pool; readonly schema: string };
  readonly bus: Pick<Bus, 'events'>;
  readonly logger?: RelayLogger;
  /** Outbox rows (one per append, with all its events) published per transaction (default 256). */
  readonly batchSize?: number;
  /** Safety poll when no notification arrives, and the retry pace of a stand-by replica (default 1 s). */
  readonly pollIntervalMs?: number;
  /** Backoff after a failure, doubling from min to max (default 100 ms to 5 s). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /**
   * A publish not acknowledged within this time counts as failed (default 10 s); a stream's
   * `publishAll` of n events (up to 256) gets n times it. Nothing of a failed one is deleted from
   * the outbox: it goes again, and the bus drops what it already has.
   */
  readonly publishTimeoutMs?: number;
  /**
   * Streams published at once (default 32); 1 publishes one stream at a time. A stream's events
   * go in order in a `publishAll`, the next 256 once those were stored.
   */
  readonly publishWindow?: number;
  readonly onCounter?: (name: RelayCounter, increment: number) => void;
}

export interface OutboxRelay {
  /** Stops after the batch in flight and closes the listener connection. */
  stop(): Promise<void>;
}

export const silentLogger: RelayLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
