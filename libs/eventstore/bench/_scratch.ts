// @ts-nocheck
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { startEmbeddedPostgres } from '@cadre/testing';
import { createEventStore } from '../src';
import { appendSql, appendToStream } from '../src/append';
import { shopRegistry } from '../src/test-support/events';

async function rate(writers: number, appends: number, per: number, op: (w: number, i: number) => Promise<unknown>) {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => { for (let i = 0; i < appends; i++) await op(w, i); }));
  return (writers * appends * per) / ((performance.now() - t0) / 1000);
}

async function main() {
  const pg = await startEmbeddedPostgres();
  const store = await createEventStore({ databaseUrl: pg.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
  const pool = store.pool;
  // JS-only cost of an append
  const fake = { rows: [{ current_version: 0, inserted: 1, last_position: '1' }] };
  for (const per of [1, 10]) {
    const ctx: any = { pool: { query: async () => ({ rows: [{ current_version: 0, inserted: per, last_position: '1' }] }) }, schema: 'shop', registry: shopRegistry(), appendSql: '', statementName: 'x', clock: () => new Date() };
    const evs = Array.from({ length: per }, (_, k) => ({ type: 'tick', data: { n: k + 1 } }));
    for (let i = 0; i < 2000; i++) await appendToStream(ctx, 's', 'no_stream', evs);
    const t0 = performance.now();
    const N = 20000;
    for (let i = 0; i < N; i++) await appendToStream(ctx, 's', 'no_stream', evs);
    console.log(`JS-only append (${per} ev): ${((performance.now() - t0) * 1000 / N).toFixed(1)} us/append`);
  }
  void fake;
  await pool.query(`CREATE TABLE raw_fair (id uuid PRIMARY KEY, stream_id text NOT NULL, version int NOT NULL, type text NOT NULL, data jsonb NOT NULL, meta jsonb NOT NULL, occurred_at timestamptz NOT NULL)`);
  await pool.query(`CREATE TABLE raw_min (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream text NOT NULL, data jsonb NOT NULL)`);
  const base = appendSql('shop');
  const noNotify = base.replace(/,\s*\(SELECT count\(\*\) FROM \(SELECT pg_notify[^\n]*/, '');
  const noOutbox = base.replace(/out AS \([\s\S]*?RETURNING position\n    \)/, 'out AS (SELECT position FROM ins)').replace(/,\s*\(SELECT count\(\*\) FROM \(SELECT pg_notify[^\n]*/, '');
  const slim = base.replace(/INSERT INTO "shop".outbox \(position, event_id, subject, payload\)[\s\S]*?FROM ins JOIN input i ON i.id = ins.id/, `INSERT INTO "shop".outbox2 (position, subject) SELECT ins.position, i.subject FROM ins JOIN input i ON i.id = ins.id`);
  await pool.query(`CREATE TABLE shop.outbox2 (position bigint PRIMARY KEY, subject text NOT NULL)`);
  const variants: Record<string, string> = { base, noNotify, noOutbox, slim };
  let run = 0;
  for (const writers of [1, 16]) for (const per of [1, 10]) {
    const appends = writers === 1 ? 1500 : 200;
    const res: Record<string, number[]> = {};
    for (let rep = 0; rep < 2; rep++) {
      for (const [name, text] of Object.entries(variants)) {
        run++;
        const r = run;
        const op = (w: number, i: number) => {
          const rows = Array.from({ length: per }, (_, k) => ({ id: uuidv7(), type: 'tick', data: { n: i * per + k + 1 }, meta: { schemaVersion: 1 }, occurred_at: new Date().toISOString(), subject: `evt.shop.tick.s-${r}-${w}` }));
          return pool.query({ name: `v_${name}`, text, values: [`s-${r}-${w}`, JSON.stringify(rows), i * per, 'cadre_outbox_shop'].slice(0, text.includes('$4') ? 4 : 3) });
        };
        (res[name] ??= []).push(await rate(writers, appends, per, op));
      }
      const vals = Array.from({ length: per }, (_, k) => `($${k * 7 + 1}::uuid, $${k * 7 + 2}, $${k * 7 + 3}::int, $${k * 7 + 4}, $${k * 7 + 5}::jsonb, $${k * 7 + 6}::jsonb, $${k * 7 + 7}::timestamptz)`).join(', ');
      (res.rawFair ??= []).push(await rate(writers, appends, per, (w, i) => pool.query(`INSERT INTO raw_fair (id, stream_id, version, type, data, meta, occurred_at) VALUES ${vals}`,
        Array.from({ length: per }, (_, k) => [uuidv7(), `raw-${run}-${w}`, i * per + k + 1, 'tick', JSON.stringify({ n: i * per + k + 1 }), JSON.stringify({ schemaVersion: 1 }), new Date().toISOString()]).flat())));
      const v2 = Array.from({ length: per }, (_, k) => `($1, $${k + 2}::jsonb)`).join(', ');
      (res.rawMin ??= []).push(await rate(writers, appends, per, (w, i) => pool.query(`INSERT INTO raw_min (stream, data) VALUES ${v2}`, [`raw-${w}`, ...Array.from({ length: per }, (_, k) => JSON.stringify({ n: i * per + k }))])));
      (res.store ??= []).push(await rate(writers, appends, per, (w, i) => store.append(`st-${run}-${rep}-${w}`, i === 0 ? 'no_stream' : i * per, Array.from({ length: per }, (_, k) => ({ type: 'tick', data: { n: i * per + k + 1 } })))));
      await pool.query('TRUNCATE shop.outbox, shop.outbox2');
    }
    console.log(`writers=${writers} per=${per}: ` + Object.entries(res).map(([k, v]) => `${k}=${v.map((x) => x.toFixed(0)).join('/')}`).join('  '));
  }
  await store.close();
  await pg.dispose();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
