// @ts-nocheck
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '@cadre/testing';
import { createEventStore } from '../src';
import { shopRegistry } from '../src/test-support/events';

async function main() {
  const pg = await startEmbeddedPostgres();
  const store = await createEventStore({ databaseUrl: pg.url, schema: 'shop', registry: shopRegistry(), maxConnections: 1 });
  for (const per of [1, 10]) {
    const t0 = performance.now();
    const N = 3000;
    for (let i = 0; i < N; i++) await store.append(`s${per}`, i === 0 ? 'no_stream' : i * per, Array.from({ length: per }, (_, k) => ({ type: 'tick', data: { n: i * per + k + 1 } })));
    console.log(`per=${per}: ${((performance.now() - t0) * 1000 / N).toFixed(0)} us/append`);
  }
  console.log((await store.pool.query('select name, generic_plans, custom_plans from pg_prepared_statements')).rows);
  const c = await store.pool.connect();
  await c.query("PREPARE x(text, int, uuid[], text[], jsonb[], jsonb[], timestamptz[], text[], text) AS " + (await import('../src/append')).appendSql('shop'));
  const args = (v: number, ids: string[]) => `('sx', ${v}, ARRAY[${ids.map((i) => `'${i}'`).join(',')}]::uuid[], ARRAY[${ids.map(() => "'tick'").join(',')}], ARRAY[${ids.map(() => `'{"n":1}'`).join(',')}]::jsonb[], ARRAY[${ids.map(() => `'{"schemaVersion":1}'`).join(',')}]::jsonb[], ARRAY[${ids.map(() => 'now()').join(',')}], ARRAY[${ids.map(() => "'evt.shop.tick.sx'").join(',')}], 'cadre_outbox_shop')`;
  const { v7 } = await import('uuid');
  let v = 0;
  for (let i = 0; i < 10; i++) { await c.query(`EXECUTE x${args(v === 0 ? 0 : v, [v7()]).replace("('sx', 0,", "('sx', 0,")}`); v++; }
  const r = await c.query(`EXPLAIN (ANALYZE, BUFFERS, VERBOSE off, SUMMARY on) EXECUTE x${args(v, [v7()])}`);
  console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
  v++;
  const r10 = await c.query(`EXPLAIN (ANALYZE, SUMMARY on) EXECUTE x${args(v, Array.from({ length: 10 }, () => v7()))}`);
  console.log(r10.rows.map((x) => x['QUERY PLAN']).join('\n'));
  c.release();
  await store.close();
  await pg.dispose();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
