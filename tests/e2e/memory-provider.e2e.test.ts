import { Client } from 'pg';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { testing } from '@cadre/llm';
import { memoryService } from '@cadre/memory';
import { eventually } from '@cadre/testing';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { startSystem, type System } from '../support/system';

// The embeddings provider set through the API: no provider in the environment, two memory
// replicas running; an admin sets one (with a key the scripted server demands) and the search of
// both replicas becomes hybrid without a restart; the key is never answered, never in an event,
// never in a log line, and only sealed at rest; a member may neither read nor change it;
// removing it brings back the environment's default (here: none, full-text).

const KEY = 'sk-set-through-the-api-7f3a9c';
const CONCEPTS: Readonly<Record<string, number>> = { car: 0, automobile: 0, vehicle: 0, puppy: 1, dog: 1 };

function conceptVector(text: string): number[] {
  const vector = [0, 0, 0, 0];
  for (const word of text.toLowerCase().split(/[^a-z]+/)) {
    const axis = CONCEPTS[word];
    if (axis !== undefined) vector[axis]! += 1;
  }
  return vector;
}

interface Provider { source: string; base_url: string | null; model: string | null; dimensions: number | null; api_key_set: boolean; updated_at: string | null }
interface Search { mode: string; embedding_model: string | null; results: Array<{ id: string; match: string }> }
interface MemoryContextView { search: unknown; embeddings(): Promise<{ provider: { model: string } } | undefined> }

describe('the embeddings provider set through the API', () => {
  let server: testing.ScriptedServer;
  let system: System;
  let admin: string;
  let member: string;
  const logs: string[] = [];
  const replicas: MemoryContextView[] = [];
  const api = <T>(method: string, path: string, body?: unknown, token = admin) => call<T>(system.baseUrl, method, path, { token, ...(body !== undefined ? { body } : {}) });

  beforeAll(async () => {
    server = await testing.startScriptedServer();
    server.respondWith((request) => {
      if (request.headers.authorization !== `Bearer ${KEY}`) return { kind: 'json', status: 401, body: { error: { message: 'bad key' } } };
      const body = request.body as { model: string; input: string[] };
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: conceptVector(text) }));
      return { kind: 'json', status: 200, body: { object: 'list', model: body.model, data } };
    });
    system = await startSystem({
      transport: 'nats', registry: checkRegistry([identityService, memoryService]), env: { MEMORY_EMBED_INTERVAL_MS: '100' },
      logSink: (line) => logs.push(line),
    });
    const second = await system.addReplica('memory');
    const contextOf = (service: unknown) => (service as { context: MemoryContextView }).context;
    replicas.push(contextOf(system.services.memory), contextOf(second));
    admin = (await setupAdmin(system.baseUrl)).access_token;
    member = (await createMember(system.baseUrl, admin)).tokens.access_token;
  });
  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  it('is set by an admin, used at once by every replica, and its key is never answered, logged or put in an event', async () => {
    const none = await api<Provider>('GET', '/v1/memory/embeddings/provider');
    expect(none.body).toEqual({ source: 'none', base_url: null, model: null, dimensions: null, api_key_set: false, updated_at: null });
    const car = (await api<{ id: string }>('POST', '/v1/memory/vaults/eric/memories', { title: 'Fleet', body: 'Wash every car on Fridays.' })).body.id;
    await api('POST', '/v1/memory/vaults/eric/memories', { title: 'Office', body: 'The puppy sleeps under the stairs.' });
    expect((await api<Search>('GET', '/v1/memory/search?agent_id=eric&q=automobile')).body).toMatchObject({ mode: 'text', results: [] });

    const set = await api<Provider>('PUT', '/v1/memory/embeddings/provider', { base_url: `${server.url}/v1`, model: 'concepts', api_key: KEY });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ source: 'api', base_url: `${server.url}/v1`, model: 'concepts', dimensions: null, api_key_set: true });
    expect(JSON.stringify(set.body)).not.toContain(KEY);
    const read = await api<Provider>('GET', '/v1/memory/embeddings/provider');
    expect(read.body).toEqual(set.body);
    expect(JSON.stringify(read.body)).not.toContain(KEY);

    // Each replica, started before the change, now searches with the provider (no restart).
    for (const replica of replicas) expect((await replica.embeddings())?.provider.model).toBe('concepts');
    // The memories saved before are embedded in the background; then a reworded query finds them by meaning.
    await eventually(async () => {
      const found = (await api<Search>('GET', '/v1/memory/search?agent_id=eric&q=automobile')).body;
      expect(found).toMatchObject({ mode: 'hybrid', embedding_model: 'concepts' });
      expect(found.results.map((h) => [h.id, h.match])).toEqual([[car, 'vector']]);
    }, 15_000);
    for (let i = 0; i < 6; i++) {
      expect((await api<Search>('GET', '/v1/memory/search?agent_id=eric&q=vehicle')).body.results.map((h) => h.id)).toEqual([car]);
    }
    expect(server.requests.length).toBeGreaterThan(0);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);

    // A PUT without api_key keeps the key; the new model is used at once.
    const kept = await api<Provider>('PUT', '/v1/memory/embeddings/provider', { base_url: `${server.url}/v1`, model: 'concepts-2', dimensions: 4 });
    expect(kept.body).toMatchObject({ model: 'concepts-2', dimensions: 4, api_key_set: true });
    for (const replica of replicas) expect((await replica.embeddings())?.provider.model).toBe('concepts-2');
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);

    // Nowhere in the stores but sealed: not in an event, not in clear in any table; not in a log line.
    const db = new Client({ connectionString: system.database.url });
    await db.connect();
    try {
      const events = await db.query(`select type, data::text as data from memory.events where type like 'memory_embedding_provider_%' order by position`);
      expect(events.rows.map((r: { type: string }) => r.type)).toEqual(['memory_embedding_provider_set', 'memory_embedding_provider_set']);
      expect(JSON.parse(events.rows[0].data)).toEqual({ base_url: `${server.url}/v1`, model: 'concepts', dimensions: null, api_key_set: true });
      const everything = await db.query(`select (select string_agg(data::text, '') from memory.events) as events, (select sealed from memory.embedding_provider_key) as sealed`);
      expect(everything.rows[0].events).not.toContain(KEY);
      expect(everything.rows[0].sealed).toMatch(/^v1:/);
      expect(everything.rows[0].sealed).not.toContain(KEY);
    } finally {
      await db.end();
    }
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => line.includes(KEY))).toEqual([]);
  });

  it('is an admin\'s: a member gets 403 and changes nothing', async () => {
    const before = (await api<Provider>('GET', '/v1/memory/embeddings/provider')).body;
    expect((await api('GET', '/v1/memory/embeddings/provider', undefined, member)).status).toBe(403);
    expect((await api('PUT', '/v1/memory/embeddings/provider', { base_url: 'http://127.0.0.1:1/v1', model: 'evil', api_key: 'x' }, member)).status).toBe(403);
    expect((await api('DELETE', '/v1/memory/embeddings/provider', undefined, member)).status).toBe(403);
    expect((await api<Provider>('GET', '/v1/memory/embeddings/provider')).body).toEqual(before);
  });

  it('refuses a provider that is not one (400) and keeps the one at work', async () => {
    const before = (await api<Provider>('GET', '/v1/memory/embeddings/provider')).body;
    for (const body of [{ model: 'm' }, { base_url: 'ftp://example.com', model: 'm' }, { base_url: 'http://example.com/v1', model: '' }, { base_url: 'http://example.com/v1', model: 'm', dimensions: 0 }]) {
      expect((await api('PUT', '/v1/memory/embeddings/provider', body)).status).toBe(400);
    }
    expect((await api<Provider>('GET', '/v1/memory/embeddings/provider')).body).toEqual(before);
  });

  it('is removed: the environment\'s default applies again on every replica, and the sealed key is gone', async () => {
    const removed = await api<Provider>('DELETE', '/v1/memory/embeddings/provider');
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ source: 'none', model: null, api_key_set: false });
    for (const replica of replicas) expect(await replica.embeddings()).toBeUndefined();
    expect((await api<Search>('GET', '/v1/memory/search?agent_id=eric&q=automobile')).body).toMatchObject({ mode: 'text', results: [] });
    // Removed twice: nothing more to remove, the same answer.
    expect((await api<Provider>('DELETE', '/v1/memory/embeddings/provider')).body).toMatchObject({ source: 'none' });
    const db = new Client({ connectionString: system.database.url });
    await db.connect();
    try {
      expect((await db.query('select count(*)::int as n from memory.embedding_provider_key')).rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  });
});
