import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one. Migrations take Kysely<any>
// so that they never follow today's Database type.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The outbox stops copying the event: the relay now reads id, data and meta from the events
 * row with the same position when it publishes, so each append writes every event once. The
 * outbox keeps only what the events row lacks, the subject. Rows still waiting here when this
 * runs are published the same way (their events rows exist). Dropping a column only marks it
 * dropped in the catalogue: no table rewrite; new rows hold a null bit for each, which fits in
 * the padding of the row header.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').dropColumn('payload').dropColumn('event_id').dropColumn('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox')
    .addColumn('event_id', 'uuid')
    .addColumn('payload', 'jsonb')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // Rebuild the payload the old relay expects, exactly as the old append wrote it.
  await db.updateTable('outbox').from('events').whereRef('events.position', '=', 'outbox.position').set({
    event_id: sql`events.id`,
    payload: sql`jsonb_build_object('id', events.id, 'type', events.type, 'stream', events.stream_id, 'version', events.version,
      'occurredAt', to_char(events.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', events.data, 'meta', events.meta)`,
  }).execute();
  await db.schema.alterTable('outbox').alterColumn('event_id', (col) => col.setNotNull()).alterColumn('payload', (col) => col.setNotNull()).execute();
}
