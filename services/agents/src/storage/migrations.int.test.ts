import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Pool } from 'pg';
import { createPool } from '@cadre/runtime';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { migrateService } from '@cadre/kit';
import { agentsMigrations } from './migrations';

describe('agents tables', () => {
  let database: TestDatabase;
  let pool: Pool;
  let db: Kysely<unknown>;
  beforeAll(async () => {
    database = await createTestDatabase('cadre_agents_migrations');
    pool = createPool({ connectionString: database.url, max: 8 });
    db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.dispose();
  });

  it('are created once when several replicas start together on a fresh database', async () => {
    for (let round = 0; round < 5; round++) {
      const schema = `agents_race_${round}`;
      // Each on a connection of its own, as replicas would be.
      await Promise.all(Array.from({ length: 6 }, () => migrateService(pool, schema, 'agents_migration', agentsMigrations(schema))));
      const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${schema} order by 1`.execute(db);
      expect(rows.map((r) => r.name)).toEqual(['agents_migration', 'agents_migration_lock', 'llm_calls', 'provider_keys', 'settings']);
      const { rows: applied } = await sql<{ name: string }>`select name from ${sql.id(schema)}.agents_migration order by name`.execute(db);
      expect(applied.map((r) => r.name)).toEqual(Object.keys(agentsMigrations(schema)).sort());
    }
  });
});
