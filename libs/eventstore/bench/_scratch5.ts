// @ts-nocheck
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { startEmbeddedPostgres } from '@cadre/testing';
import { createEventStore } from '../src';
import { appendSql } from '../src/append';
import { shopRegistry } from '../src/test-support/events';

const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(writers: number, appends: number, op: (w: number, i: number) => Promise<unknown>) {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => { for (let i = 0; i < appends; i++) await op(w, i); }));
  return (performance.now() - t0) / 1000;
}
const lean = `WITH ins AS (
        INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT e.id, $1, cur.v + e.ord::int, e.type, e.data, e.meta, e.occurred_at
        FROM (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1) cur,
             unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[]) WITH ORDINALITY AS e(id, type, data, meta, occurred_at, ord)
        WHERE $2::int IS NULL OR cur.v = $2::int
        ORDER BY e.ord
        RETURNING position, version)
      INSERT INTO shop.outbox (position, subject)
      SELECT position, ($8::text[])[version - (SELECT min(version) FROM ins) + 1] FROM ins
      RETURNING position, (SELECT min(version) FROM ins) AS first_version, (SELECT count(*) FROM (SELECT pg_notify($9, '') WHERE $9::text IS NOT NULL) n) AS notified`;
const valuesSql = (n: number) => `WITH ins AS (
        INSERT INTO shop.events (id, stream_id, version, type, data, meta, occurred_at)
        SELECT e.id, $1, cur.v + e.ord, e.type, e.data, e.meta, e.occurred_at
        FROM (SELECT coalesce(max(version), 0)::int AS v FROM shop.events WHERE stream_id = $1) cur,
             (VALUES ${Array.from({ length: n }, (_, k) => `($${5 + k * 5}::uuid, $${6 + k * 5}::text, $${7 + k * 5}::jsonb, $${8 + k * 5}::jsonb, $${9 + k * 5}::timestamptz, ${k + 1})`).join(', ')}) AS e(id, type, data, meta, occurred_at, ord)
        WHERE $2::int IS NULL OR cur.v = $2::int
        ORDER BY e.ord
        RETURNING position, version)
      INSERT INTO shop.outbox (position, subject)
      SELECT position, ($3::text[])[version - (SELECT min(version) FROM ins) + 1] FROM ins
      RETURNING position, (SELECT min(version) FROM ins) AS first_version, (SELECT count(*) FROM (SELECT pg_notify($4, '') WHERE $4::text IS NOT NULL) n) AS notified`;

async function main() {
  const pg = await startEmbeddedPostgres();
  const store = await createEventStore({ databaseUrl: pg.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
  const pool = store.pool;
  await pool.query(`CREATE TABLE raw_ev (id uuid PRIMARY KEY, stream_id text NOT NULL, version int NOT NULL, type text NOT NULL, data jsonb NOT NULL, meta jsonb NOT NULL, occurred_at timestamptz NOT NULL)`);
  const text = appendSql('shop');
  const rowsOf = (per: number, i: number) => Array.from({ length: per }, (_, k) => ({ id: uuidv7(), type: 'tick', data: JSON.stringify({ n: i * per + k + 1 }), meta: '{"schemaVersion":1}', at: new Date().toISOString(), subject: 'evt.shop.tick.x' }));
  const arr = (rows: ReturnType<typeof rowsOf>) => [rows.map((r) => r.id), rows.map((r) => r.type), rows.map((r) => r.data), rows.map((r) => r.meta), rows.map((r) => r.at), rows.map((r) => r.subject)];
  const variants: Record<string, (per: number, tag: string) => (w: number, i: number) => Promise<unknown>> = {
    current: (per, tag) => (w, i) => pool.query({ name: 'cur', text, values: [`${tag}-${w}`, i * per, ...arr(rowsOf(per, i)), null] }),
    currentNotify: (per, tag) => (w, i) => pool.query({ name: 'cur', text, values: [`${tag}-${w}`, i * per, ...arr(rowsOf(per, i)), 'cadre_outbox_shop'] }),
    lean: (per, tag) => (w, i) => pool.query({ name: 'lean', text: lean, values: [`${tag}-${w}`, i * per, ...arr(rowsOf(per, i)), null] }),
    values: (per, tag) => (w, i) => {
      const rows = rowsOf(per, i);
      return pool.query({ name: `values${per}`, text: valuesSql(per), values: [`${tag}-${w}`, i * per, rows.map((r) => r.subject), null, ...rows.flatMap((r) => [r.id, r.type, r.data, r.meta, r.at])] });
    },
    store: (per, tag) => (w, i) => store.append(`${tag}-${w}`, i === 0 ? 'no_stream' : i * per, Array.from({ length: per }, (_, k) => ({ type: 'tick', data: { n: i * per + k + 1 } }))),
    raw: (per, tag) => {
      const vals = Array.from({ length: per }, (_, k) => `(${Array.from({ length: 7 }, (_, c) => `$${k * 7 + c + 1}`).join(', ')})`).join(', ');
      return (w, i) => pool.query({ name: `raw${per}`, text: `INSERT INTO raw_ev (id, stream_id, version, type, data, meta, occurred_at) VALUES ${vals}`, values: rowsOf(per, i).flatMap((r, k) => [r.id, `${tag}-${w}`, i * per + k + 1, r.type, r.data, r.meta, r.at]) });
    },
  };
  const only = process.argv[2]?.split(',');
  let run = 0;
  for (const writers of [1, 16]) for (const per of [1, 10]) {
    const appends = writers === 1 ? 500 : 40;
    const res: Record<string, number[]> = {};
    for (let rep = 0; rep < 7; rep++) {
      const names = Object.keys(variants).filter((n) => !only || only.includes(n));
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + rep) % names.length]!;
        run++;
        (res[name] ??= []).push((writers * appends * per) / (await timed(writers, appends, variants[name]!(per, `${name}-${run}`))));
      }
    }
    await pool.query('TRUNCATE shop.outbox');
    const raw = med(res.raw ?? [1]);
    console.log(`writers=${writers} per=${per}: ` + Object.entries(res).map(([k, v]) => `${k}=${med(v).toFixed(0)} (${(med(v) / raw).toFixed(2)})`).join('  '));
  }
  await store.close();
  await pg.dispose();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
