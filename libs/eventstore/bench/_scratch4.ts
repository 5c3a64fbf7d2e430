// @ts-nocheck
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { startEmbeddedPostgres } from '@cadre/testing';
import { createEventStore } from '../src';
import { appendSql } from '../src/append';
import { shopRegistry } from '../src/test-support/events';

async function main() {
  const pg = await startEmbeddedPostgres();
  const store = await createEventStore({ databaseUrl: pg.url, schema: 'shop', registry: shopRegistry(), maxConnections: 2 });
  const pool = store.pool;
  await pool.query(`CREATE TABLE raw_ev (id uuid PRIMARY KEY, stream_id text NOT NULL, version int NOT NULL, type text NOT NULL, data jsonb NOT NULL, meta jsonb NOT NULL, occurred_at timestamptz NOT NULL)`);
  await pool.query(`CREATE TABLE ev_only (LIKE shop.events INCLUDING ALL)`);
  const text = appendSql('shop');
  let n = 0;
  const vals = (s: string, v: number, notify: boolean) => [s, v, [uuidv7()], ['tick'], ['{"n":1}'], ['{"schemaVersion":1}'], [new Date().toISOString()], ['evt.shop.tick.x'], notify ? 'cadre_outbox_shop' : null];
  const ops: Record<string, (i: number) => Promise<unknown>> = {
    select1: () => pool.query({ name: 's1', text: 'SELECT 1' }),
    notifyOnly: () => pool.query({ name: 'n1', text: "SELECT pg_notify('x', '')" }),
    raw: (i) => pool.query({ name: 'raw', text: 'INSERT INTO raw_ev (id, stream_id, version, type, data, meta, occurred_at) VALUES ($1,$2,$3,$4,$5,$6,$7)', values: [uuidv7(), `r${n}`, i + 1, 'tick', '{"n":1}', '{"schemaVersion":1}', new Date().toISOString()] }),
    evOnly3idx: (i) => pool.query({ name: 'evonly', text: 'INSERT INTO ev_only (id, stream_id, version, type, data, meta, occurred_at) VALUES ($1,$2,$3,$4,$5,$6,$7)', values: [uuidv7(), `r${n}`, i + 1, 'tick', '{"n":1}', '{"schemaVersion":1}', new Date().toISOString()] }),
    sqlNoNotify: (i) => pool.query({ name: 'app', text, values: vals(`a${n}`, i, false) }),
    sqlNotify: (i) => pool.query({ name: 'app', text, values: vals(`b${n}`, i, true) }),
    insOnlyCte: (i) => pool.query({ name: 'insonly', text: text.replace(/out AS \([\s\S]*?RETURNING position\n    \)/, 'out AS (SELECT position, $8::text[] AS s FROM ins)'), values: vals(`d${n}`, i, false) }),
    flat1: (i) => pool.query({ name: 'flat1', text: `WITH ins AS (INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT $3::uuid, $1, v + 1, $4, $5::jsonb, $6::jsonb, $7::timestamptz FROM (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1) cur WHERE $2::int IS NULL OR v = $2::int RETURNING position)
        INSERT INTO shop.outbox (position, subject) SELECT position, $8 FROM ins RETURNING position`, values: [`e${n}`, i, uuidv7(), 'tick', '{"n":1}', '{"schemaVersion":1}', new Date().toISOString(), 'evt.shop.tick.x'] }),
    leanUnnest: (i) => pool.query({ name: 'lean', text: `WITH ins AS (
        INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT e.id, $1, cur.v + e.ord::int, e.type, e.data, e.meta, e.occurred_at
        FROM (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1) cur,
             unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[]) WITH ORDINALITY AS e(id, type, data, meta, occurred_at, ord)
        WHERE $2::int IS NULL OR cur.v = $2::int
        ORDER BY e.ord
        RETURNING position, version)
      INSERT INTO shop.outbox (position, subject)
      SELECT position, ($8::text[])[version - (SELECT min(version) FROM ins) + 1] FROM ins
      RETURNING position, (SELECT min(version) FROM ins) AS first_version, (SELECT count(*) FROM (SELECT pg_notify($9, '') WHERE $9::text IS NOT NULL) n) AS notified`, values: vals(`f${n}`, i, false) }),
    cteScalar: (i) => pool.query({ name: 'ctescalar', text: text.replace(/FROM unnest\([^)]*\)\s*WITH ORDINALITY AS e\([^)]*\)/, 'FROM (SELECT $3::uuid AS id, $4::text AS type, $5::jsonb AS data, $6::jsonb AS meta, $7::timestamptz AS occurred_at, 1 AS ord) e').replace('($8::text[])[ins.version - cur.v]', '$8::text'), values: [`g${n}`, i, uuidv7(), 'tick', '{"n":1}', '{"schemaVersion":1}', new Date().toISOString(), 'evt.shop.tick.x', null] }),
    storeAppend: (i) => store.append(`c${n}`, i === 0 ? 'no_stream' : i, [{ type: 'tick', data: { n: i + 1 } }]),
  };
  for (const q of [
    { name: 'rawx', text: 'EXPLAIN ANALYZE INSERT INTO raw_ev (id, stream_id, version, type, data, meta, occurred_at) VALUES ($1,$2,$3,$4,$5,$6,$7)', values: [uuidv7(), 'zz', 1, 'tick', '{"n":1}', '{"schemaVersion":1}', new Date().toISOString()] },
    { name: 'evx', text: 'EXPLAIN ANALYZE INSERT INTO ev_only (id, stream_id, version, type, data, meta, occurred_at) VALUES ($1,$2,$3,$4,$5,$6,$7)', values: [uuidv7(), 'zz', 1, 'tick', '{"n":1}', '{"schemaVersion":1}', new Date().toISOString()] },
  ]) { for (let k = 0; k < 8; k++) { q.values[0] = uuidv7(); q.values[2] = k + 1; const r = await pool.query(q); if (k === 7) console.log(q.name, r.rows.slice(-2).map((x) => x['QUERY PLAN']).join(' | ')); } }
  const res: Record<string, number[]> = {};
  for (let rep = 0; rep < 5; rep++) {
    for (const [name, op] of Object.entries(ops)) {
      n++;
      const N = 1500;
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await op(i);
      (res[name] ??= []).push((performance.now() - t0) * 1000 / N);
    }
  }
  for (const [k, v] of Object.entries(res)) console.log(k.padEnd(12), [...v].sort((a, b) => a - b)[2]!.toFixed(0), 'us');
  await store.close();
  await pg.dispose();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
