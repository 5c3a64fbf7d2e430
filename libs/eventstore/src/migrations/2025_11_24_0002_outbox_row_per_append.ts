import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one. Migrations take Kysely<any>
// so that they never follow today's Database type.
/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * One outbox row per append instead of one per event: fewer rows, index entries and WAL records
 * for appends of several events. A row names its append (stream, first version, one subject per
 * event) and is keyed by the append's first position, which orders appends as before; the relay
 * reads the events through UNIQUE(stream_id, version).
 *
 * Rows still waiting when this runs each become a one-event append (their events rows exist),
 * so nothing pending is lost or reordered.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox')
    .addColumn('stream_id', 'text')
    .addColumn('first_version', 'integer')
    .addColumn('subjects', sql`text[]`)
    .execute();
  await db.updateTable('outbox').from('events').whereRef('events.position', '=', 'outbox.position').set({
    stream_id: sql`events.stream_id`,
    first_version: sql`events.version`,
    subjects: sql`ARRAY[outbox.subject]`,
  }).execute();
  await db.schema.alterTable('outbox')
    .dropColumn('subject')
    .alterColumn('stream_id', (col) => col.setNotNull())
    .alterColumn('first_version', (col) => col.setNotNull())
    .alterColumn('subjects', (col) => col.setNotNull())
    .execute();
}

/** Back to one (position, subject) row per event. */
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('subject', 'text').execute();
  // The later events of each append get rows of their own, then every row gets its subject.
  await db.insertInto('outbox').columns(['position', 'stream_id', 'first_version', 'subjects'])
    .expression((eb) => eb.selectFrom('outbox as o')
      .innerJoin('events as e', (join) => join
        .onRef('e.stream_id', '=', 'o.stream_id')
        .on(sql`e.version`, '>', sql`o.first_version`)
        .on(sql`e.version`, '<', sql`o.first_version + cardinality(o.subjects)`))
      .select([sql`e.position`.as('position'), sql`o.stream_id`.as('stream_id'), sql`o.first_version`.as('first_version'), sql`o.subjects`.as('subjects')]))
    .execute();
  await db.updateTable('outbox').from('events').whereRef('events.position', '=', 'outbox.position').set({
    subject: sql`outbox.subjects[events.version - outbox.first_version + 1]`,
  }).execute();
  await db.schema.alterTable('outbox')
    .dropColumn('stream_id').dropColumn('first_version').dropColumn('subjects')
    .alterColumn('subject', (col) => col.setNotNull())
    .execute();
}
