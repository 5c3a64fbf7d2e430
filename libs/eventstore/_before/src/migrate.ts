import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { assertSchemaName } from './connection';
import { migrations } from './migrations';

/**
 * Brings the event store tables of `schema` up to date. Safe when several replicas start at
 * once: Kysely tolerates racing `create … if not exists` and runs the migrations under a
 * Postgres advisory lock, so each one runs exactly once.
 */
export async function migrateEventStore<DB>(db: Kysely<DB>, schema: string): Promise<readonly MigrationResult[]> {
  assertSchemaName(schema);
  const migrator = new Migrator({
    db: db.withSchema(schema),
    migrationTableSchema: schema,
    provider: { getMigrations: async () => ({ ...migrations }) },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw new Error(`event store migration of schema "${schema}" failed`, { cause: error });
  return results ?? [];
}
