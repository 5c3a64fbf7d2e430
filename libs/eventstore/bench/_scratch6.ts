// @ts-nocheck
import { performance } from 'node:perf_hooks';
import { startEmbeddedPostgres } from '@cadre/testing';
import { createEventStore } from '../src';
import { shopRegistry } from '../src/test-support/events';

async function main() {
  const pg = await startEmbeddedPostgres();
  const store = await createEventStore({ databaseUrl: pg.url, schema: 'shop', registry: shopRegistry(), maxConnections: 2 });
  const N = Number(process.argv[2] ?? 5000);
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await store.append(`s-${rep}`, i === 0 ? 'no_stream' : i, [{ type: 'tick', data: { n: i + 1 } }]);
    const cpu = process.cpuUsage(cpu0);
    console.log(`${((performance.now() - t0) * 1000 / N).toFixed(0)} us/append wall, node cpu ${((cpu.user + cpu.system) / N).toFixed(0)} us/append`);
  }
  await store.close();
  await pg.dispose();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
