import { ConcurrencyError } from '@cadre/proto';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { createEventStore, withConcurrencyRetry, type EventStore } from './index';
import { shopRegistry } from './test-support/events';

const WRITERS = 50;

describe('optimistic concurrency', () => {
  let database: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_cc');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), maxConnections: WRITERS });
  });

  afterAll(async () => {
    await store?.close();
    await database?.dispose();
  });

  describe('when 50 writers append to one stream at the same expected version', () => {
    it('lets exactly one win; the others fail with a ConcurrencyError', async () => {
      await store.append('race-1', 'no_stream', [{ type: 'tick', data: { n: 1 } }]);
      const outcomes = await Promise.allSettled(
        Array.from({ length: WRITERS }, (_, i) => store.append('race-1', 1, [{ type: 'tick', data: { n: i + 2 } }])),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(WRITERS - 1);
      for (const error of lost) expect(error).toBeInstanceOf(ConcurrencyError);
      expect(await store.streamVersion('race-1')).toBe(2);
    });

    it('lands all 50 as versions 1..50 without a gap when the writers retry', async () => {
      const results = await Promise.all(
        Array.from({ length: WRITERS }, (_, i) =>
          withConcurrencyRetry(
            async () => store.append('race-2', await store.streamVersion('race-2'), [{ type: 'tick', data: { n: i + 1 } }]),
            { attempts: 200, backoffMs: 2 },
          ),
        ),
      );
      expect(results.map((r) => r.nextVersion).sort((a, b) => a - b)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
      const events = await store.readStream('race-2');
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
      expect(new Set(events.map((e) => e.data.n)).size).toBe(WRITERS);
    });

    it('lands all 50 through appendWithRetry too', async () => {
      await Promise.all(
        Array.from({ length: WRITERS }, (_, i) =>
          store.appendWithRetry('race-3', () => [{ type: 'tick', data: { n: i + 1 } }], { attempts: 200, backoffMs: 2 }),
        ),
      );
      const events = await store.readStream('race-3');
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
    });
  });

  describe("when writers append with 'any'", () => {
    it('appends every one at the next free version (the store retries the race itself)', async () => {
      await Promise.all(Array.from({ length: WRITERS }, (_, i) => store.append('race-4', 'any', [{ type: 'tick', data: { n: i + 1 } }])));
      const events = await store.readStream('race-4');
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
    });
  });
});
