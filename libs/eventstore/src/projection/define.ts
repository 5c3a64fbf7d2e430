import type { Transaction } from 'kysely';
import type { EventEnvelope } from '@cadre/proto';

/**
 * A read model kept in Postgres tables: what it is called, the event types it applies and how.
 * Events reach `apply` upcast to the current schema version, whether they come from the bus or
 * from the store (a rebuild), and the rows it writes commit with the position it applied.
 */
export interface ProjectionDefinition<DB = unknown> {
  /** Unique within the schema; keys the checkpoint row (and names the durable consumer). */
  readonly name: string;
  /** Event types it applies; any other event only moves its position. */
  readonly events: readonly string[];
  /**
   * Writes what the event changes, inside the transaction that then stores its position (the
   * bus sequence; the store position during a rebuild). It must be idempotent per event (an
   * upsert keyed by the event id or its stream version): events committed while a rebuild reads
   * the store arrive once more from the bus.
   */
  readonly apply: (event: EventEnvelope, trx: Transaction<DB>, position: number) => Promise<void>;
  /**
   * A check made before any transaction is opened: true when the event's rows are known to be
   * written already (the replica that appended it wrote them before replying). Such an event
   * is passed over with no transaction; its position is stored with the next one applied, or
   * by the periodic flush, since nothing before it depends on it.
   */
  readonly alreadyApplied?: (event: EventEnvelope) => boolean | Promise<boolean>;
  /**
   * True when `apply` does not depend on the order events come in, as well as being idempotent:
   * a row per event keyed by its id, or rows rewritten from the aggregate's current state with
   * a version guard. Such a projection takes several events at a time and on every replica, and
   * applies each one it is given; its checkpoint is the highest position applied. By default a
   * projection has one event in flight across its replicas, in stream order, and takes an event
   * at or below its checkpoint for a redelivery, so even an `apply` that adds up stays exact.
   */
  readonly orderFree?: boolean;
  /**
   * For an order-free projection: writes what several events change at once (one statement for
   * the batch rather than one per event), with the same effect as `apply` on each. It is given a
   * batch of two or more; `apply` still takes a lone event, a rebuild's, and each event of a batch
   * that failed and is tried again one by one.
   */
  readonly applyMany?: (events: readonly EventEnvelope[], trx: Transaction<DB>) => Promise<void>;
  /** Empties the read model; runs in a rebuild's transaction. Without it a rebuild applies over the rows. */
  readonly reset?: (trx: Transaction<DB>) => Promise<void>;
}

/**
 * A read model a replica keeps in memory (each replica folds every event): rebuilt from the
 * store at start, then fed from the bus from the sequence it had reached; its position is
 * that sequence, kept in memory too.
 */
export interface InMemoryProjection {
  readonly name: string;
  /** Event types it applies; others are passed over. */
  readonly events: readonly string[];
  /**
   * Folds one event, upcast. The same event may come twice (the store read and the bus
   * overlap at start; the writer may fold its own events first), so it must count once.
   */
  apply(event: EventEnvelope): void;
  /** Called once the store has been read, before the bus is followed (to repair what the read left out). */
  caughtUp?(): Promise<void>;
}
