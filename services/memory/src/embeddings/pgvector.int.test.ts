import { Pool } from 'pg';
import { migrateService } from '@cadre/kit';
import { silentLogger } from '@cadre/logging';
import { createTestDatabase, startPgvectorPostgres, type PgvectorServer, type TestDatabase } from '@cadre/testing';
import { memoryMigrations } from '../storage/migrations';
import { MEMORY_VECTORS, createVectorIndex, vectorBytes } from './index-store';
import { detectPgvector, pgvectorTable } from './pgvector';

// pgvector against a real Postgres with the extension (the system's Postgres, started for this
// suite): detected at start, rows written before it filled in, an HNSW index per model and
// length, and the same nearest memories as the in-process index on the same table — also for a
// small vault among a large one, where a plain index scan would filter its candidates away.

describe('pgvector similarity', () => {
  let server: PgvectorServer;
  let database: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    server = await startPgvectorPostgres();
    database = await createTestDatabase('cadre_memory_pgvector', server.url);
    pool = new Pool({ connectionString: database.url, max: 4 });
    await pool.query('create schema memory');
    await migrateService(pool, 'memory', 'memory_migration', memoryMigrations('memory'));
  });
  afterAll(async () => {
    await pool?.end();
    await database?.dispose();
    await server?.dispose();
  });

  const DIMS = 16;
  /** A deterministic vector per row: rows near each other in number point alike. */
  const vectorOf = (i: number) => Float32Array.from({ length: DIMS }, (_, d) => Math.sin(i * 0.013 * (d + 1)) + (d === i % DIMS ? 0.5 : 0));
  const insert = (from: number, to: number, vault: string) => pool.query(
    `insert into memory.memory_vectors (memory_id, owner, agent_id, model, dimensions, vector, content_hash, seq)
     select 'v' || lpad(i::text, 5, '0'), 'alice', $3, 'm', ${DIMS}, ($4::bytea[])[i - $1 + 1], 'h', nextval('memory.memory_vector_seq')
     from generate_series($1::int, $2::int - 1) i`,
    [from, to, vault, Array.from({ length: to - from }, (_, i) => vectorBytes(vectorOf(from + i)))],
  );

  it('finds the same nearest memories as the in-process index, through the HNSW index, in a small vault too', async () => {
    await insert(0, 3000, 'big');
    await insert(3000, 3030, 'small');
    // Rows written before pgvector was detected get their `embedding` at detection.
    const pg = await detectPgvector(pool, 'memory', 'pgvector', silentLogger());
    expect(pg).toBeDefined();
    const { rows: missing } = await pool.query(`select count(*)::int as n from memory.memory_vectors where embedding is null`);
    expect(missing[0].n).toBe(0);

    const table = pgvectorTable(pool, 'memory', pg!, 'm', MEMORY_VECTORS, silentLogger());
    await table.ensureIndex(DIMS);
    const { rows: indexes } = await pool.query(`select indexname from pg_indexes where schemaname = 'memory' and indexdef ilike '%hnsw%'`);
    expect(indexes).toHaveLength(1);
    await pool.query('analyze memory.memory_vectors');
    const query = vectorOf(3012);
    // Over the whole table the HNSW index orders the rows (a small vault alone is read in full: the planner's choice).
    const plan = table.nearestSql(query, { owner: 'alice', vaults: ['big', 'small'] }, 10, 0);
    const explained = (await pool.query(`explain ${plan.sql}`, plan.params)).rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
    expect(explained).toContain(indexes[0].indexname);

    const index = createVectorIndex(pool, 'memory', 'm');
    await index.refresh();
    for (const filter of [{ owner: 'alice', vaults: ['small'] }, { vaults: ['big', 'small'] }]) {
      const exact = index.search(query, filter, 10, 0.2);
      const found = await table.nearest(query, filter, 10, 0.2);
      expect(exact).toHaveLength(10);
      expect(found.map((h) => h.id)).toEqual(exact.map((h) => h.id));
      found.forEach((h, i) => expect(h.similarity).toBeCloseTo(exact[i]!.similarity, 4));
    }
    // Another model's vectors and tombstones are never returned.
    await pool.query(`update memory.memory_vectors set model = 'other' where memory_id = 'v03012'`);
    await pool.query(`update memory.memory_vectors set vector = null where memory_id = 'v03011'`);
    const after = (await table.nearest(query, { vaults: ['small'] }, 30, -1)).map((h) => h.id);
    expect(after).toHaveLength(28);
    expect(after).not.toContain('v03012');
    expect(after).not.toContain('v03011');
  });
});
