import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * Tables of one service's event store, all in that service's own Postgres schema. `bigint`
 * columns read as strings (node-postgres keeps int8 exact); the store converts positions to
 * numbers, which stay exact far beyond any realistic event count (2^53).
 */
export interface EventsTable {
  readonly position: Generated<string>;
  readonly id: string;
  readonly stream_id: string;
  readonly version: number;
  readonly type: string;
  readonly data: ColumnType<Record<string, unknown>, string, never>;
  readonly meta: ColumnType<Record<string, unknown>, string, never>;
  readonly occurred_at: ColumnType<Date, Date | string, never>;
}

/**
 * Appends committed but not yet published to the bus, one row per append; the relay deletes a
 * row once all its events are published. The relay reads the events rows themselves; a row
 * adds only what they lack, the subject of each event.
 */
export interface OutboxTable {
  /** Position of the append's first event: the order in which appends are published. */
  readonly position: ColumnType<string, string | number, never>;
  readonly stream_id: string;
  readonly first_version: number;
  /** One subject per event, in version order from first_version. */
  readonly subjects: string[];
}

/** The last position each projection applied, written in the transaction that applied it. */
export interface ProjectionCheckpointsTable {
  readonly name: string;
  readonly position: ColumnType<string, string | number, string | number>;
  readonly updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** The event store's tables, as Kysely sees them under `db.withSchema(<service schema>)`. */
export interface Database {
  readonly events: EventsTable;
  readonly outbox: OutboxTable;
  readonly projection_checkpoints: ProjectionCheckpointsTable;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
export type CheckpointRow = Selectable<ProjectionCheckpointsTable>;
export type NewCheckpointRow = Insertable<ProjectionCheckpointsTable>;
