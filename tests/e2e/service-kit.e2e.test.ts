import { join } from 'node:path';
import { startCadre, type Cadre } from '@cadre/cadre';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { createMember, setupAdmin } from '../support/auth';
import { Fleet } from '../support/fleet';
import { call } from '../support/http';
import { openStream, type SseStream } from '../support/sse';
import { registry } from '../fixtures/notes/registry';

// A service defined only in test code (tests/fixtures/notes: one `defineService` value and the
// registry that adds it to Cadre's) runs in the all-in-one process and in a fleet of processes,
// with no edit anywhere else: the gateway mounts its routes, its events reach the stream, and
// the stream shows each member only their own.

interface Note { id: string; text: string; owner?: string }

const noteEvents = (stream: SseStream) => stream.events.filter((e) => e.event === 'note_added').map((e) => (JSON.parse(e.data) as { data: { note_id: string } }).data.note_id);

/** Two members write a note each; each reads their own, not the other's; the stream shows each their own, the admin both. */
async function exercise(baseUrl: string): Promise<void> {
  const admin = (await setupAdmin(baseUrl)).access_token;
  const alice = (await createMember(baseUrl, admin, 'alice@example.com')).tokens.access_token;
  const bob = (await createMember(baseUrl, admin, 'bob@example.com')).tokens.access_token;
  const streams = {
    admin: await openStream(baseUrl, { token: admin, lastEventId: 0, query: { types: 'note_added' } }),
    alice: await openStream(baseUrl, { token: alice, lastEventId: 0 }),
    bob: await openStream(baseUrl, { token: bob, lastEventId: 0 }),
  };
  try {
    const written = await call<Note>(baseUrl, 'POST', '/v1/notes', { token: alice, body: { text: 'from alice' } });
    expect(written.status).toBe(201);
    const other = await call<Note>(baseUrl, 'POST', '/v1/notes', { token: bob, body: { text: 'from bob' } });
    expect(other.status).toBe(201);
    expect((await call(baseUrl, 'POST', '/v1/notes', { token: alice, body: { text: '' } })).status).toBe(400);
    expect((await call(baseUrl, 'POST', '/v1/notes', { body: { text: 'anonymous' } })).status).toBe(401);

    const mine = await call<Note>(baseUrl, 'GET', `/v1/notes/${written.body.id}`, { token: alice });
    expect(mine.status).toBe(200);
    expect(mine.body.text).toBe('from alice');
    expect((await call(baseUrl, 'GET', `/v1/notes/${written.body.id}`, { token: bob })).status).toBe(404);
    expect((await call(baseUrl, 'GET', `/v1/notes/${written.body.id}`, { token: admin })).status).toBe(200);

    await eventually(() => expect(noteEvents(streams.admin).sort()).toEqual([written.body.id, other.body.id].sort()), 15_000);
    await eventually(() => expect(noteEvents(streams.alice)).toEqual([written.body.id]), 15_000);
    await eventually(() => expect(noteEvents(streams.bob)).toEqual([other.body.id]), 15_000);
    // Members see no user or session events, whoever they are about.
    for (const stream of [streams.alice, streams.bob]) {
      expect(stream.events.filter((e) => ['user_created', 'session_started', 'setup_completed'].includes(e.event))).toEqual([]);
    }
    expect(streams.admin.status).toBe(200);
  } finally {
    for (const stream of Object.values(streams)) stream.close();
  }
}

describe('a service defined in test code, added by its registry', () => {
  describe('in the all-in-one process', () => {
    let database: TestDatabase;
    let cadre: Cadre;
    beforeAll(async () => {
      database = await createTestDatabase('cadre_kit_all');
      cadre = await startCadre({ DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }, { registry });
    });
    afterAll(async () => {
      await cadre?.stop('test over');
      await database?.dispose();
    });

    it('answers its routes, and its events reach each member\'s stream who owns them', async () => {
      expect(Object.keys(cadre.services)).toEqual([...registry.map((service) => service.name)]);
      await exercise(cadre.url);
      const openapi = await call<{ paths: Record<string, unknown> }>(cadre.url, 'GET', '/v1/openapi.json');
      expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/notes', '/v1/notes/{note_id}']));
    });
  });

  describe('in a fleet: each service a process of its own on NATS and Postgres', () => {
    let nats: TestNats;
    let database: TestDatabase;
    let fleet: Fleet;
    beforeAll(async () => {
      nats = await startNats();
      database = await createTestDatabase('cadre_kit_fleet');
      fleet = new Fleet({ DATABASE_URL: database.url, NATS_URL: nats.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, {
        registryModule: join('tests', 'fixtures', 'notes', 'registry.ts'),
      });
      try {
        await Promise.all(['identity', 'notes', 'gateway'].map((service) => fleet.startReady(service)));
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${fleet.report()}`);
      }
    }, 120_000);
    afterAll(async () => {
      await fleet?.stop();
      await database?.dispose();
      await nats?.dispose();
    });

    it('answers its routes, and its events reach each member\'s stream who owns them', async () => {
      const [gateway] = fleet.alive('gateway');
      await exercise(gateway!.url);
    });
  });
});
