import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { testing } from '@cadre/llm';
import { memoryService } from '@cadre/memory';
import { eventually, startPgvectorPostgres, type PgvectorServer } from '@cadre/testing';
import { setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { startSystem, type System } from '../support/system';

// Hybrid search against a scripted OpenAI-compatible embeddings server. The server computes
// each vector from a small concept table (a word adds its concept's axis), so "automobile" and
// "car" are near although they share no letters: a reworded query can only find a memory
// through the vector side. Model "concepts-b" lays the concepts on other axes (vehicle on the
// axis "concepts-a" uses for animals), so comparing a vector of one model with one of the other
// would find the wrong memory.
//
// The same suite runs on both similarity paths with the same data and the same expected hits: the
// in-process index (the embedded Postgres has no pgvector) and pgvector, on a throwaway cluster of
// the system's Postgres with the extension (`startPgvectorPostgres`; `.ci/run` installs it).

const CONCEPTS: Readonly<Record<string, number>> = {
  car: 0, cars: 0, automobile: 0, vehicle: 0, truck: 0,
  dog: 1, puppy: 1, canine: 1, pet: 1,
  budget: 2, money: 2, costs: 2, finance: 2,
  rain: 3, weather: 3, storm: 3,
};
const DIMS = 8;
const B_AXES = [1, 0, 3, 2, 4, 5, 6, 7];

function conceptVector(text: string, model: string): number[] {
  const vector = new Array<number>(DIMS).fill(0);
  for (const word of text.toLowerCase().split(/[^a-z]+/)) {
    const axis = CONCEPTS[word];
    if (axis !== undefined) { const at = model === 'concepts-b' ? B_AXES[axis]! : axis; vector[at] = (vector[at] ?? 0) + 1; }
  }
  return vector;
}

interface Hit { id: string; match: string; scores: { text: number | null; text_rank: number | null; vector: number | null; vector_rank: number | null; fused: number; final: number } }
interface Search { mode: string; embedding_model: string | null; results: Hit[]; note?: string }
interface Embeddings { configured: boolean; model: string; dimensions: number | null; memories: number; embedded: number; pending: number; other_models: Record<string, number>; index: string | null }

const PATHS = [['in-process index', 'in-process'], ['pgvector', 'pgvector']] as const;

describe.each(PATHS)('hybrid memory search with a scripted embeddings server (%s)', (_name, backend) => {
  let server: testing.ScriptedServer;
  let pgvector: PgvectorServer | undefined;
  let system: System;
  let token: string;
  let secondReplica: { shutdown(reason?: string): Promise<void> };
  /** While false, model b answers 503 to memory texts (they hold a blank line), not to queries. */
  let modelBReady = false;
  const api = <T>(method: string, path: string, body?: unknown) => call<T>(system.baseUrl, method, path, { token, ...(body !== undefined ? { body } : {}) });
  const search = async (query: string) => (await api<Search>('GET', `/v1/memory/search?agent_id=eric&query=${encodeURIComponent(query)}`)).body;

  beforeAll(async () => {
    server = await testing.startScriptedServer();
    server.respondWith((request) => {
      const body = request.body as { model: string; input: string[] };
      if (request.path !== '/v1/embeddings' || !Array.isArray(body.input)) return { kind: 'json', status: 404, body: { error: { message: 'no such route' } } };
      if (body.model === 'concepts-b' && !modelBReady && body.input.some((text) => text.includes('\n\n'))) {
        return { kind: 'json', status: 503, body: { error: { message: 'warming up' } } };
      }
      // Listed in reverse: the client must put them back in input order by index.
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: conceptVector(text, body.model) })).reverse();
      return { kind: 'json', status: 200, body: { object: 'list', model: body.model, data } };
    });
    if (backend === 'pgvector') pgvector = await startPgvectorPostgres();
    system = await startSystem({
      transport: 'nats', registry: checkRegistry([identityService, memoryService]), ...(pgvector ? { databaseServer: pgvector.url } : {}),
      env: { MEMORY_EMBEDDINGS_BASE_URL: `${server.url}/v1`, MEMORY_EMBEDDINGS_MODEL: 'concepts-a', MEMORY_EMBEDDINGS_API_KEY: 'sk-test', MEMORY_EMBED_INTERVAL_MS: '100', MEMORY_VECTOR_BACKEND: backend },
    });
    secondReplica = await system.addReplica('memory', { MEMORY_EMBEDDINGS_BASE_URL: `${server.url}/v1`, MEMORY_EMBEDDINGS_MODEL: 'concepts-a', MEMORY_EMBED_INTERVAL_MS: '100' });
    token = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(async () => {
    await system?.stop();
    await server?.close();
    await pgvector?.dispose();
  });

  const ids: Record<string, string> = {};
  it('finds a reworded query through the vector side, a keyword through the text side, and fuses both', async () => {
    const save = async (key: string, title: string, body: string) => {
      ids[key] = (await api<{ id: string }>('POST', '/v1/memory/vaults/eric/memories', { title, body })).body.id;
    };
    await save('oil', 'Fleet maintenance', 'Change the oil of every car each spring.');
    await save('pet', 'Office pet', 'The puppy sleeps under the stairs.');
    await save('money', 'Quarterly budget', 'Finance closes the budget in March.');
    await save('both', 'Car budget', 'Our car costs too much to run.');
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer sk-test');

    // No memory holds "automobile" (nor a word near it): only the vector side can find them.
    const reworded = await search('automobile');
    expect(reworded.mode).toBe('hybrid');
    expect(reworded.embedding_model).toBe('concepts-a');
    expect(reworded.results.map((h) => h.id).sort()).toEqual([ids.oil, ids.both].sort());
    expect(reworded.results.every((h) => h.match === 'vector' && h.scores.text === null && h.scores.vector! > 0.5)).toBe(true);

    // "spring" has no concept: its vector is zero and the text side alone finds it.
    const keyword = await search('spring');
    expect(keyword.results.map((h) => [h.id, h.match])).toEqual([[ids.oil, 'text']]);

    // Both sides rank "Car budget" first: it is first, with both reciprocal ranks added.
    const fused = await search('car budget');
    expect(fused.results[0]).toMatchObject({ id: ids.both, match: 'both', scores: { text_rank: 1, vector_rank: 1 } });
    expect(fused.results[0]!.scores.fused).toBeCloseTo(2 / 61, 6);
    for (const hit of fused.results) {
      const expected = (hit.scores.text_rank ? 1 / (60 + hit.scores.text_rank) : 0) + (hit.scores.vector_rank ? 1 / (60 + hit.scores.vector_rank) : 0);
      expect(hit.scores.fused).toBeCloseTo(expected, 6);
    }
    expect(fused.results.map((h) => h.scores.final)).toEqual([...fused.results.map((h) => h.scores.final)].sort((a, b) => b - a));
    expect(fused.results.map((h) => h.id)).not.toContain(ids.pet);

    // Documents too: a section is found by meaning, and named.
    const doc = await api<{ id: string }>('POST', '/v1/ingest/document', { name: 'household.md', content: '# Household\n\n## Garage\n\nThe car needs new tyres.\n\n## Garden\n\nThe puppy digs holes.\n' });
    expect(doc.status).toBe(201);
    const sections = (await api<{ mode: string; results: Array<{ heading: string; match: string; document_id: string }> }>('GET', '/v1/documents/search?q=automobile')).body;
    expect(sections.mode).toBe('hybrid');
    expect(sections.results.map((h) => [h.heading, h.match, h.document_id])).toEqual([['Garage', 'vector', doc.body.id]]);
    const both = (await api<{ results: Array<{ heading: string; match: string }> }>('GET', '/v1/documents/search?q=puppy')).body;
    expect(both.results.map((h) => [h.heading, h.match])).toEqual([['Garden', 'both']]);

    const state = (await api<Embeddings>('GET', '/v1/memory/embeddings')).body;
    expect(state).toMatchObject({ configured: true, model: 'concepts-a', dimensions: DIMS, memories: 4, embedded: 4, pending: 0, other_models: {}, index: backend });
  });

  it('never compares vectors of another model, and re-embeds every memory after the model changes', async () => {
    // A new deployment: both replicas of model a stop, one of model b starts.
    await system.services.memory!.shutdown('model change');
    await secondReplica.shutdown('model change');
    await system.addReplica('memory', { MEMORY_EMBEDDINGS_BASE_URL: `${server.url}/v1`, MEMORY_EMBEDDINGS_MODEL: 'concepts-b', MEMORY_EMBED_INTERVAL_MS: '100' });
    const before = (await api<Embeddings>('GET', '/v1/memory/embeddings')).body;
    expect(before.model).toBe('concepts-b');
    expect(before.embedded).toBe(0);
    expect(before.other_models).toEqual({ 'concepts-a': 4 });
    // Model b's "automobile" lies on model a's animal axis: compared with a's vectors it would find the puppy.
    const meanwhile = await search('automobile');
    expect(meanwhile.results.filter((h) => h.match !== 'text')).toEqual([]);

    modelBReady = true;
    await eventually(async () => {
      const after = (await api<Embeddings>('GET', '/v1/memory/embeddings')).body;
      expect(after).toMatchObject({ model: 'concepts-b', memories: 4, embedded: 4, pending: 0, other_models: {} });
    }, 20_000);
    const reembedded = server.requests.filter((r) => (r.body as { model: string }).model === 'concepts-b')
      .flatMap((r) => (r.body as { input: string[] }).input)
      .filter((text) => ['Fleet maintenance', 'Office pet', 'Quarterly budget', 'Car budget'].some((title) => text.startsWith(`${title}\n\n`)));
    expect(new Set(reembedded).size).toBe(4);
    const found = await search('automobile');
    expect(found.results.map((h) => h.id).sort()).toEqual([ids.oil, ids.both].sort());
    expect(found.embedding_model).toBe('concepts-b');
  });
});
