import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { EventEnvelope, EventMeta, EventRegistry } from '@cadre/proto';
import type { ConnectionOptions } from './connection';
import type { Database } from './database';
import type { RetryOptions } from './retry';

/**
 * The version a stream must be at for an append to go ahead: a number (0 = empty), `no_stream`,
 * or `any` (no check; a race for the next version is retried inside the store).
 */
export type ExpectedVersion = number | 'any' | 'no_stream';

/** Metadata a writer supplies; the store sets `schemaVersion` from the event's definition. */
export type NewEventMeta = Omit<Partial<EventMeta>, 'schemaVersion'>;

/** An event to append; `id` (UUIDv7) and `occurredAt` are filled in when absent. */
export interface NewEvent<TData = Record<string, unknown>> {
  readonly type: string;
  readonly data: TData;
  readonly meta?: NewEventMeta;
  readonly id?: string;
  readonly occurredAt?: Date | string;
}

export interface AppendOptions {
  /** Subject token consumers filter on (e.g. the run id); the stream id when absent. */
  readonly subjectScope?: string;
  /** Time stamped on events that carry no `occurredAt`; the store's clock when absent. */
  readonly now?: Date;
  /**
   * Writes that commit with the events or not at all, in the append's own statement (one round
   * trip for both): given the envelopes about to be appended (validated, with their versions), it
   * answers the writes, or undefined for none. Not with expected version 'any' (the versions are
   * not known before the append).
   */
  readonly alongside?: (events: readonly EventEnvelope[]) => Alongside | undefined;
}

/**
 * Data-modifying CTEs run in an append's statement, e.g. a read model's upsert. Each must write
 * only when the events went in: guard it with `WHERE EXISTS (SELECT 1 FROM appended)` (the CTE
 * `appended` has a row when they did), and name its CTEs apart from the store's (`cur`, `ins`,
 * `appended`). Its parameters are written `param(1)`, `param(2)`, … for `values[0]`, `values[1]`, …
 */
export interface Alongside {
  /** Names the statement, prepared once per connection: the same key must always give the same text. */
  readonly key: string;
  readonly ctes: (param: (index: number) => string) => string;
  readonly values: readonly unknown[];
}

export interface AppendResult {
  readonly events: readonly EventEnvelope[];
  /** Version of the stream after the append. */
  readonly nextVersion: number;
  /** Global position of the last event appended (for read-your-writes). */
  readonly lastPosition: number;
}

/** An event with its global position in this store. */
export interface RecordedEvent {
  readonly event: EventEnvelope;
  readonly position: number;
}

export interface ReadStreamOptions {
  /** First version to return (default 1). */
  readonly fromVersion?: number;
}

export interface ReadAllOptions {
  /** First position to return (default 1). */
  readonly fromPosition?: number;
  /** At most this many events (default 1,000). */
  readonly limit?: number;
}

/** The current state of a stream as `decide` sees it. */
export interface StreamState {
  /**
   * The events read: all of the stream's, or — when `after` is given — only those after that mark
   * (the caller folds them onto its state at the mark; without `after`, onto the initial state).
   */
  readonly events: readonly EventEnvelope[];
  readonly after?: StreamMark;
  readonly version: number;
  /** Position of the stream's last event, 0 for a new stream. */
  readonly lastPosition: number;
}

/**
 * Where a reader already is in a stream: its version and last event's position (a snapshot's). Only
 * the events after it are read; streams are only ever appended to, so what came before is unchanged.
 */
export interface StreamMark {
  readonly version: number;
  readonly lastPosition: number;
}

/** Turns the current stream into the events to append (none is allowed: nothing is written). */
export type Decide = (current: StreamState) => readonly NewEvent[] | Promise<readonly NewEvent[]>;

export type EventStoreOptions = ConnectionOptions & {
  /** The service's own Postgres schema, e.g. `runs`. */
  readonly schema: string;
  readonly registry: EventRegistry;
  /**
   * When set, only event types of this domain (or these domains) may be appended: guards against
   * a stray type. A service that also writes shared feeds (e.g. `activity`) names them too.
   */
  readonly domain?: string | readonly string[];
  /** Source of `occurredAt` for events that carry none. */
  readonly clock?: () => Date;
  /** Run migrations on creation (default true). */
  readonly migrate?: boolean;
  /**
   * Called after each append has committed (never for one that failed or was rolled back), with
   * the domain and type of each event it wrote: wire it to a counter of appended events.
   */
  readonly onAppended?: (events: readonly AppendedEventRef[]) => void;
};

/** What `onAppended` hears of each committed event. */
export interface AppendedEventRef {
  readonly domain: string;
  readonly type: string;
}

/** One service's event store: streams with optimistic concurrency and a transactional outbox. */
export interface EventStore {
  readonly schema: string;
  readonly registry: EventRegistry;
  readonly pool: Pool;
  readonly db: Kysely<Database>;
  /** Appends atomically (events and their outbox row) or not at all, then wakes the relay. */
  append(streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options?: AppendOptions): Promise<AppendResult>;
  /**
   * Reads the stream, lets `decide` choose events, appends them; re-runs on a lost race. With
   * `after`, only the events after that mark are read (and handed to `decide`); with `speculate`
   * too, the first try reads nothing: it decides on the mark alone and appends at its version, and
   * only when that decision appends nothing, throws, or finds the stream moved on does it read
   * and decide again (one round trip instead of two while the mark is the stream's end).
   */
  appendWithRetry(
    streamId: string, decide: Decide, options?: AppendOptions & RetryOptions & { readonly after?: StreamMark; readonly speculate?: boolean },
  ): Promise<AppendResult>;
  /** The stream's events in version order, upcast to the current schema versions. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<EventEnvelope[]>;
  /** The same, each event with its global position. */
  readStreamRecords(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /**
   * Events of every stream in position order. Positions are allocated at insert, so while
   * writers are active a lower position may still commit after a higher one was read: use
   * this to rebuild, and the bus to follow live.
   */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** readAll page by page, as an async iterable (a projection rebuild source). */
  iterateAll(options?: { readonly fromPosition?: number; readonly batchSize?: number }): AsyncIterable<RecordedEvent>;
  /** Current version of a stream, 0 when it has no events. */
  streamVersion(streamId: string): Promise<number>;
  /** Ends the pool when the store created it. */
  close(): Promise<void>;
}
