import { createEmbeddedBus, type Bus } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import { NotFoundError } from '@cadre/proto';
import { startService, type Service } from '@cadre/runtime';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';

describe('service runtime', () => {
  let database: TestDatabase;
  let bus: Bus;
  let service: Service;

  beforeAll(async () => {
    database = await createTestDatabase();
    bus = await createEmbeddedBus({ databaseUrl: database.url });
    service = await startService({
      name: 'sample', version: '1.0.0', instance: 'sample-1', bus, logger: silentLogger(), probePort: 0,
      checks: { database: () => true },
    });
    await service.handle({
      'sample.qry.echo': (payload) => payload,
      'sample.qry.missing': () => { throw new NotFoundError('no such thing'); },
    });
  });

  afterAll(async () => {
    await service.shutdown('test over');
    await database.dispose();
  });

  const probe = (path: string) => fetch(`http://127.0.0.1:${service.probePort}${path}`);

  it('serves registered handlers on the bus', async () => {
    await expect(bus.request('sample.qry.echo', { a: 1 })).resolves.toEqual({ a: 1 });
    await expect(bus.request('sample.qry.missing', {})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers liveness and readiness probes', async () => {
    expect((await probe('/healthz')).status).toBe(200);
    const ready = await probe('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { bus: true, database: true } });
  });

  it('exposes handler latency and errors as Prometheus metrics', async () => {
    const text = await (await probe('/metrics')).text();
    expect(text).toMatch(/cadre_handler_duration_seconds_count\{[^}]*subject="sample.qry.echo"[^}]*outcome="ok"[^}]*\} [1-9]/);
    expect(text).toMatch(/cadre_handler_errors_total\{[^}]*code="not_found"[^}]*\} 1/);
  });
});
