import { sql, type Kysely, type Migration } from 'kysely';

// Frozen in time: a migration is never edited once shipped; a change is a new one. Migrations
// take Kysely<any> so that they never follow today's table types.
/* eslint-disable @typescript-eslint/no-explicit-any */
export const identityMigrations: Readonly<Record<string, Migration>> = {
  '2025_11_23_0001_identity_tables': {
    async up(db: Kysely<any>) {
      await db.schema.createTable('password_hashes').ifNotExists()
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createTable('totp_pending').ifNotExists()
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createTable('totp_secrets').ifNotExists()
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createTable('totp_last_step').ifNotExists()
        .addColumn('user_id', 'text', (c) => c.primaryKey())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createTable('recovery_codes').ifNotExists()
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('used_at', 'timestamptz')
        .addPrimaryKeyConstraint('recovery_codes_pkey', ['event_id', 'code_hash'])
        .execute();
      await db.schema.createTable('refresh_tokens').ifNotExists()
        .addColumn('event_id', 'text', (c) => c.primaryKey())
        .addColumn('session_id', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createTable('api_key_hashes').ifNotExists()
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createTable('api_key_usage').ifNotExists()
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('last_used_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createTable('login_failures').ifNotExists()
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_started_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createTable('used_pending_tokens').ifNotExists()
        .addColumn('jti', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createTable('settings').ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  '2026_12_06_0001_refresh_grace': {
    async up(db: Kysely<any>) {
      // The pair a refresh handed out, sealed with the token it replaced, for a parallel refresh
      // of that same token (two tabs) to receive it too.
      await db.schema.createTable('refresh_grace').ifNotExists()
        .addColumn('presented_hash', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('refresh_grace_pkey', ['presented_hash', 'event_id'])
        .execute();
    },
  },
};
