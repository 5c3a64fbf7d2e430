import { Pool } from 'pg';
import { migrateService } from '@cadre/kit';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { memoryMigrations } from '../storage/migrations';
import { createVectorIndex, vectorBytes } from './index-store';

// The in-process vector index against the real table: it follows what any writer puts in
// `memory_vectors`, drops tombstones and vectors of another model, and returns only the vaults
// and owner a search allows, best first.

describe('in-process vector index', () => {
  let database: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    database = await createTestDatabase('cadre_memory_index');
    pool = new Pool({ connectionString: database.url, max: 2 });
    await pool.query('create schema memory');
    await migrateService(pool, 'memory', 'memory_migration', memoryMigrations('memory'));
  });
  afterAll(async () => {
    await pool?.end();
    await database?.dispose();
  });

  const write = (id: string, owner: string, vault: string, model: string, vector: number[] | null) => pool.query(
    `insert into memory.memory_vectors (memory_id, owner, agent_id, model, dimensions, vector, content_hash, seq)
     values ($1, $2, $3, $4, 3, $5, 'h', nextval('memory.memory_vector_seq'))
     on conflict (memory_id) do update set vector = excluded.vector, model = excluded.model, seq = excluded.seq`,
    [id, owner, vault, model, vector === null ? null : vectorBytes(Float32Array.from(vector))],
  );

  it('follows the table, filters by vault and owner, and never holds another model\'s vectors', async () => {
    const index = createVectorIndex(pool, 'memory', 'm-a');
    await write('x', 'alice', 'eric', 'm-a', [1, 0, 0]);
    await write('y', 'alice', 'shared', 'm-a', [0.8, 0.6, 0]);
    await write('z', 'bob', 'eric', 'm-a', [1, 0, 0]);
    await write('w', 'alice', 'eric', 'm-b', [1, 0, 0]);
    await index.refresh();
    expect(index.size).toBe(3);
    const ids = (filter: Parameters<typeof index.search>[1], k = 10) => index.search(Float32Array.from([2, 0, 0]), filter, k, 0.1).map((h) => [h.id, Math.round(h.similarity * 100) / 100]);
    expect(ids({ owner: 'alice', vaults: ['eric', 'shared'] })).toEqual([['x', 1], ['y', 0.8]]);
    expect(ids({ owner: 'alice', vaults: ['shared'] })).toEqual([['y', 0.8]]);
    expect(ids({}, 2)).toEqual([['x', 1], ['z', 1]]);

    // A change, a tombstone and a vector of the current model written by another replica: seen at the next refresh.
    await write('x', 'alice', 'eric', 'm-a', [0, 1, 0]);
    await write('y', 'alice', 'shared', 'm-a', null);
    await write('w', 'alice', 'eric', 'm-a', [1, 0, 0]);
    await index.refresh();
    expect(ids({ owner: 'alice' })).toEqual([['w', 1]]);
    expect(index.size).toBe(3);
  });
});
