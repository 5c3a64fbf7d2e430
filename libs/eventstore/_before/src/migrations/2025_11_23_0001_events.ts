import { sql, type Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one. Migrations take Kysely<any>
// so that they never follow today's Database type.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('position', 'bigint', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('id', 'uuid', (col) => col.notNull().unique())
    .addColumn('stream_id', 'text', (col) => col.notNull())
    .addColumn('version', 'integer', (col) => col.notNull().check(sql`version > 0`))
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('data', 'jsonb', (col) => col.notNull())
    .addColumn('meta', 'jsonb', (col) => col.notNull())
    .addColumn('occurred_at', 'timestamptz', (col) => col.notNull())
    // The name is what the store recognises to report a lost race as a concurrency conflict.
    .addUniqueConstraint('events_stream_version_key', ['stream_id', 'version'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('events').execute();
}
