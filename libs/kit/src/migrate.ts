import { Kysely, Migrator, PostgresDialect, sql, type Migration } from 'kysely';
import type { Pool } from 'pg';

/**
 * Runs a service's frozen migrations in its schema with Kysely's Migrator, under a Postgres
 * advisory lock held on one connection: replicas starting together on a fresh database wait
 * for each other instead of racing `create … if not exists` (which is not safe against itself).
 * Bookkeeping goes to `<table>` and `<table>_lock` in the schema, apart from the event store's.
 */
export async function migrateService(pool: Pool, schema: string, table: string, migrations: Readonly<Record<string, Migration>>): Promise<readonly string[]> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  // Not destroyed: that would end the caller's pool.
  return db.connection().execute(async (connection) => {
    const lock = `${schema}.${table}`;
    await sql`select pg_advisory_lock(hashtext(${lock}))`.execute(connection);
    try {
      await connection.schema.createSchema(schema).ifNotExists().execute();
      const migrator = new Migrator({
        db: connection.withSchema(schema),
        migrationTableSchema: schema,
        migrationTableName: table,
        migrationLockTableName: `${table}_lock`,
        provider: { getMigrations: async () => ({ ...migrations }) },
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw new Error(`migration of schema "${schema}" (${table}) failed`, { cause: error });
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${lock}))`.execute(connection);
    }
  });
}
