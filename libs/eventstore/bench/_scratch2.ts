// @ts-nocheck
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { startEmbeddedPostgres } from '@cadre/testing';
import { createEventStore } from '../src';
import { appendSql } from '../src/append';
import { shopRegistry } from '../src/test-support/events';

async function rate(writers: number, appends: number, per: number, op: (w: number, i: number) => Promise<unknown>) {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => { for (let i = 0; i < appends; i++) await op(w, i); }));
  return (writers * appends * per) / ((performance.now() - t0) / 1000);
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const pg = await startEmbeddedPostgres(process.env.DURABLE ? { settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' } } : {});
  const store = await createEventStore({ databaseUrl: pg.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
  const pool = store.pool;
  await pool.query(`CREATE SCHEMA slim; CREATE TABLE slim.events (LIKE shop.events INCLUDING ALL);
    CREATE TABLE slim.outbox (position bigint PRIMARY KEY, subject text NOT NULL)`);
  console.log((await pool.query(`select indexdef from pg_indexes where schemaname in ('slim','shop')`)).rows.map((r) => r.indexdef).join('\n'));
  await pool.query(`CREATE TABLE raw_fair (id uuid PRIMARY KEY, stream_id text NOT NULL, version int NOT NULL, type text NOT NULL, data jsonb NOT NULL, meta jsonb NOT NULL, occurred_at timestamptz NOT NULL)`);
  await pool.query(`CREATE TABLE raw_min (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream text NOT NULL, data jsonb NOT NULL)`);
  const notify = `(SELECT count(*) FROM (SELECT pg_notify('cadre_outbox_slim', '') FROM ins LIMIT 1) n) AS notified`;
  const slimJson = (withNotify: boolean) => `
    WITH cur AS (SELECT coalesce(max(version), 0)::int AS v FROM slim.events WHERE stream_id = $1),
    input AS (
      SELECT r.*, e.ord::int AS ord FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(value, ord)
      CROSS JOIN LATERAL jsonb_to_record(e.value) AS r(id uuid, type text, data jsonb, meta jsonb, occurred_at text, subject text)),
    ins AS (
      INSERT INTO slim.events (id, stream_id, version, type, data, meta, occurred_at)
      SELECT i.id, $1, cur.v + i.ord, i.type, i.data, i.meta, i.occurred_at::timestamptz FROM input i CROSS JOIN cur
      WHERE $3::int IS NULL OR cur.v = $3::int ORDER BY i.ord RETURNING position, id),
    out AS (INSERT INTO slim.outbox (position, subject) SELECT ins.position, i.subject FROM ins JOIN input i ON i.id = ins.id RETURNING position)
    SELECT (SELECT v FROM cur) AS current_version, (SELECT count(*) FROM out)::int AS inserted, (SELECT max(position) FROM out)::text AS last_position
    ${withNotify ? ', ' + notify : ''}`;
  const slimArr = (withNotify: boolean) => `
    WITH cur AS (SELECT coalesce(max(version), 0)::int AS v FROM slim.events WHERE stream_id = $1),
    ins AS (
      INSERT INTO slim.events (id, stream_id, version, type, data, meta, occurred_at)
      SELECT i.id, $1, cur.v + i.ord, i.type, i.data, i.meta, i.occurred_at
      FROM unnest($3::uuid[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[]) WITH ORDINALITY AS i(id, type, data, meta, occurred_at, ord) CROSS JOIN cur
      WHERE $2::int IS NULL OR cur.v = $2::int ORDER BY i.ord RETURNING position, version),
    out AS (INSERT INTO slim.outbox (position, subject) SELECT ins.position, ($8::text[])[ins.version - cur.v] FROM ins CROSS JOIN cur RETURNING position)
    SELECT (SELECT v FROM cur) AS current_version, (SELECT count(*) FROM out)::int AS inserted, (SELECT max(position) FROM out)::text AS last_position
    ${withNotify ? ', ' + notify : ''}`;
  const mk = (per: number, i: number, r: string) => Array.from({ length: per }, (_, k) => ({ id: uuidv7(), type: 'tick', data: { n: i * per + k + 1 }, meta: { schemaVersion: 1 }, occurred_at: new Date().toISOString(), subject: `evt.shop.tick.${r}` }));
  const jsonOp = (name: string, text: string, tag: string) => (w: number, i: number, per: number) => {
    const s = `${tag}-${w}`;
    return pool.query({ name, text, values: [s, JSON.stringify(mk(per, i, s)), i * per] });
  };
  const arrOp = (name: string, text: string, tag: string) => (w: number, i: number, per: number) => {
    const s = `${tag}-${w}`; const rows = mk(per, i, s);
    return pool.query({ name, text, values: [s, i * per, rows.map((x) => x.id), rows.map((x) => x.type), rows.map((x) => JSON.stringify(x.data)), rows.map((x) => JSON.stringify(x.meta)), rows.map((x) => x.occurred_at), rows.map((x) => x.subject)] });
  };
  const base = appendSql('shop');
  let inFlight = false; let again = false; let pokes = 0; let sent = 0;
  const poke = (): void => {
    pokes++;
    if (inFlight) { again = true; return; }
    inFlight = true; sent++;
    void pool.query("SELECT pg_notify('cadre_outbox_slim', '')").catch(() => undefined).finally(() => { inFlight = false; if (again) { again = false; poke(); } });
  };
  const variants: Record<string, (tag: string) => (w: number, i: number, per: number) => Promise<unknown>> = {
    base: (t) => (w, i, per) => { const s = `${t}-${w}`; return pool.query({ name: 'base', text: base, values: [s, JSON.stringify(mk(per, i, s)), i * per, 'cadre_outbox_shop'] }); },
    slimArrN: (t) => arrOp('slimArrN', slimArr(true), t),
    slimArrPoke: (t) => { const op = arrOp('slimArr', slimArr(false), t); return async (w, i, per) => { const r = await op(w, i, per); poke(); return r; }; },
    slimArr: (t) => arrOp('slimArr', slimArr(false), t),
    store: (t) => (w, i, per) => store.append(`${t}-${w}`, i === 0 ? 'no_stream' : i * per, Array.from({ length: per }, (_, k) => ({ type: 'tick', data: { n: i * per + k + 1 } }))),
    rawFair: (t) => (w, i, per) => {
      const vals = Array.from({ length: per }, (_, k) => `($${k * 7 + 1}::uuid, $${k * 7 + 2}, $${k * 7 + 3}::int, $${k * 7 + 4}, $${k * 7 + 5}::jsonb, $${k * 7 + 6}::jsonb, $${k * 7 + 7}::timestamptz)`).join(', ');
      return pool.query(`INSERT INTO raw_fair (id, stream_id, version, type, data, meta, occurred_at) VALUES ${vals}`, mk(per, i, t).flatMap((x, k) => [x.id, `${t}-${w}`, i * per + k + 1, x.type, JSON.stringify(x.data), JSON.stringify(x.meta), x.occurred_at]));
    },
    rawMin: (t) => (w, i, per) => {
      const v2 = Array.from({ length: per }, (_, k) => `($1, $${k + 2}::jsonb)`).join(', ');
      return pool.query(`INSERT INTO raw_min (stream, data) VALUES ${v2}`, [`${t}-${w}`, ...Array.from({ length: per }, (_, k) => JSON.stringify({ n: i * per + k }))]);
    },
  };
  const only = process.argv[2]?.split(',');
  let run = 0;
  for (const writers of [1, 16]) for (const per of [1, 10]) {
    const appends = writers === 1 ? 600 : 60;
    const res: Record<string, number[]> = {};
    for (let rep = 0; rep < 6; rep++) {
      for (const [name, v] of Object.entries(variants)) {
        if (only && !only.includes(name)) continue;
        run++;
        const op = v(`${name}-${run}`);
        (res[name] ??= []).push(await rate(writers, appends, per, (w, i) => op(w, i, per)));
      }
    }
    await pool.query('TRUNCATE shop.outbox, slim.outbox');
    const raw = med(res.rawFair ?? [1]);
    console.log(`writers=${writers} per=${per}: ` + Object.entries(res).map(([k, v]) => `${k}=${med(v).toFixed(0)} (${(med(v) / raw).toFixed(2)})`).join('  '));
  }
  console.log({ pokes, sent });
  await store.close();
  await pg.dispose();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
