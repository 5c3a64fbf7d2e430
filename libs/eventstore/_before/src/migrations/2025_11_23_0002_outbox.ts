import type { Kysely } from 'kysely';

// Frozen: never edit a migration that has shipped; add a new one. Migrations take Kysely<any>
// so that they never follow today's Database type.
/* eslint-disable @typescript-eslint/no-explicit-any */

export async function up(db: Kysely<any>): Promise<void> {
  // Keyed by the event's position so the relay publishes in commit-allocation order.
  await db.schema
    .createTable('outbox')
    .addColumn('position', 'bigint', (col) => col.primaryKey())
    .addColumn('event_id', 'uuid', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('payload', 'jsonb', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(db.fn('now')))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
}
