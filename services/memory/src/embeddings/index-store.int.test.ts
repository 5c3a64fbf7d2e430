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

  it('answers what an exact scan of the table answers after rows move, change and go (holes filled by the last row)', async () => {
    const index = createVectorIndex(pool, 'memory', 'm-c');
    const vectorOf = (i: number, turn: number) => [Math.cos(i * 0.37 + turn), Math.sin(i * 0.37 + turn), (i % 5) / 5];
    const live = new Map<string, { vault: string; vector: number[] }>();
    for (let i = 0; i < 60; i++) {
      const id = `s${String(i).padStart(2, '0')}`;
      live.set(id, { vault: i % 3 === 0 ? 'shared' : 'eve', vector: vectorOf(i, 0) });
      await write(id, 'carol', live.get(id)!.vault, 'm-c', vectorOf(i, 0));
    }
    await index.refresh();
    for (let i = 0; i < 60; i += 4) { // every fourth goes, every seventh changes vault and vector
      const id = `s${String(i).padStart(2, '0')}`;
      live.delete(id);
      await write(id, 'carol', 'eve', 'm-c', null);
    }
    for (let i = 1; i < 60; i += 7) {
      const id = `s${String(i).padStart(2, '0')}`;
      if (!live.has(id)) continue;
      live.set(id, { vault: 'shared', vector: vectorOf(i, 1) });
      await pool.query(`update memory.memory_vectors set agent_id = 'shared', vector = $2, seq = nextval('memory.memory_vector_seq') where memory_id = $1`,
        [id, vectorBytes(Float32Array.from(vectorOf(i, 1)))]);
    }
    await index.refresh();
    const query = [0.3, 0.9, 0.1];
    const norm = (v: number[]) => Math.hypot(...v);
    const cosine = (v: number[]) => v.reduce((sum, x, i) => sum + x * query[i]!, 0) / (norm(v) * norm(query));
    for (const vaults of [['eve'], ['shared'], ['eve', 'shared']]) {
      const expected = [...live.entries()].filter(([, m]) => vaults.includes(m.vault))
        .map(([id, m]) => ({ id, similarity: cosine(m.vector) })).filter((h) => h.similarity >= 0.2)
        .sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1)).slice(0, 8);
      const found = index.search(Float32Array.from(query), { owner: 'carol', vaults }, 8, 0.2);
      expect(found.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      found.forEach((h, i) => expect(h.similarity).toBeCloseTo(expected[i]!.similarity, 5));
    }
  });

  it('finds the exact nearest among thousands through its int8 scan (candidates re-ranked in float32)', async () => {
    const dims = 64;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    const vectors = Array.from({ length: 2500 }, () => Array.from({ length: dims }, random));
    await pool.query(
      `insert into memory.memory_vectors (memory_id, owner, agent_id, model, dimensions, vector, content_hash, seq)
       select 'r' || lpad(i::text, 5, '0'), 'dan', 'vault', 'm-d', ${dims}, ($1::bytea[])[i + 1], 'h', nextval('memory.memory_vector_seq')
       from generate_series(0, 2499) i`,
      [vectors.map((v) => vectorBytes(Float32Array.from(v)))],
    );
    const index = createVectorIndex(pool, 'memory', 'm-d');
    await index.refresh();
    const norm = (v: number[]) => Math.hypot(...v);
    for (let q = 0; q < 20; q++) {
      const query = Array.from({ length: dims }, random);
      const exact = vectors.map((v, i) => ({ id: `r${String(i).padStart(5, '0')}`, similarity: v.reduce((sum, x, d) => sum + x * query[d]!, 0) / (norm(v) * norm(query)) }))
        .sort((a, b) => b.similarity - a.similarity).slice(0, 10);
      const found = index.search(Float32Array.from(query), { vaults: ['vault'] }, 10, -1);
      expect(found.map((h) => h.id)).toEqual(exact.map((h) => h.id));
      found.forEach((h, i) => expect(h.similarity).toBeCloseTo(exact[i]!.similarity, 5));
    }
  });
});
