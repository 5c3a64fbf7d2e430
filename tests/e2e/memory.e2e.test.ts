import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { memoryService } from '@cadre/memory';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { startSystem, type System } from '../support/system';

// The memory service through the HTTP API with two replicas on NATS: every write is read back
// at once by whichever replica answers next (read-your-writes), vaults keep to their owners and
// agents, and the full-text search finds, ranks, corrects typos and explains itself.

interface Memory { id: string; agent_id: string; title: string; body: string; type: string; tags: string[]; links: string[]; version: number }
interface Hit { id: string; agent_id: string; title: string; match: string; snippet: string; scores: { text: number | null; fused: number; adaptive: number; final: number } }
interface Search { mode: string; corrections: Record<string, string[]>; results: Hit[] }

const registry = checkRegistry([identityService, memoryService]);

describe('memory service through the API, two replicas on NATS', () => {
  let system: System;
  let admin: string;
  let alice: string;
  let bob: string;
  const api = <T>(method: string, path: string, token: string, body?: unknown) =>
    call<T>(system.baseUrl, method, path, { token, ...(body !== undefined ? { body } : {}) });
  const search = async (token: string, query: string, extra = '') =>
    (await api<Search>('GET', `/v1/memory/search?query=${encodeURIComponent(query)}${extra}`, token)).body;

  beforeAll(async () => {
    system = await startSystem({ transport: 'nats', registry });
    await system.addReplica('memory');
    admin = (await setupAdmin(system.baseUrl)).access_token;
    alice = (await createMember(system.baseUrl, admin, 'alice@example.com')).tokens.access_token;
    bob = (await createMember(system.baseUrl, admin, 'bob@example.com')).tokens.access_token;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('finds a memory at once after it is saved, changed or deleted, whichever replica answers', async () => {
    for (let i = 0; i < 12; i++) {
      const word = `zephyr${i}quokka`;
      const saved = await api<Memory & { created: boolean }>('POST', '/v1/memory/vaults/eric/memories', alice, {
        title: `Deploy note ${i}`, body: `Always drain the ${word} queue before a deploy.`, type: 'lesson', tags: ['deploy'],
      });
      expect(saved.status).toBe(201);
      expect(saved.body.created).toBe(true);
      expect((await search(alice, word, '&agent_id=eric')).results.map((h) => h.id)).toEqual([saved.body.id]);

      const changed = await api<Memory>('PUT', `/v1/memory/vaults/eric/memories/${saved.body.id}`, alice, { body: `Drain the other${i}queue first.` });
      expect(changed.status).toBe(200);
      expect(changed.body.version).toBe(2);
      expect((await search(alice, word)).results).toEqual([]);
      expect((await search(alice, `other${i}queue`)).results.map((h) => h.id)).toEqual([saved.body.id]);

      expect((await api('DELETE', `/v1/memory/vaults/eric/memories/${saved.body.id}`, alice)).status).toBe(200);
      expect((await search(alice, `other${i}queue`)).results).toEqual([]);
      expect((await api('GET', `/v1/memory/vaults/eric/memories/${saved.body.id}`, alice)).status).toBe(404);
    }
  });

  it('shows the shared vault to every agent of its owner, a personal vault only to its agent, nothing to another user', async () => {
    const shared = (await api<Memory>('POST', '/v1/memory/vaults/shared/memories', alice, { title: 'Staging cluster', body: 'The staging cluster is called marigold.', type: 'fact' })).body;
    const erics = (await api<Memory>('POST', '/v1/memory/vaults/eric/memories', alice, { title: 'Marigold quirks', body: 'marigold needs a warm cache after restarts.' })).body;
    const finns = (await api<Memory>('POST', '/v1/memory/vaults/finn/memories', alice, { title: 'Marigold access', body: 'finn reaches marigold through the bastion.' })).body;
    const ids = async (token: string, extra: string) => (await search(token, 'marigold', extra)).results.map((h) => h.id).sort();
    expect(await ids(alice, '&agent_id=eric')).toEqual([shared.id, erics.id].sort());
    expect(await ids(alice, '&agent_id=finn')).toEqual([shared.id, finns.id].sort());
    expect((await api<Search>('GET', '/v1/memory/shared?q=marigold', alice)).body.results.map((h) => h.id)).toEqual([shared.id]);
    expect(await ids(bob, '&agent_id=eric')).toEqual([]);
    expect((await api('GET', `/v1/memory/vaults/eric/memories/${erics.id}`, bob)).status).toBe(404);
    expect((await api('PUT', `/v1/memory/vaults/eric/memories/${erics.id}`, bob, { title: 'mine now' })).status).toBe(404);
    expect((await api('GET', `/v1/memory/vaults/finn/memories/${erics.id}`, alice)).status).toBe(404);
    expect(await ids(admin, '')).toEqual([shared.id, erics.id, finns.id].sort());

    const vaults = (await api<{ vaults: Array<{ agent_id: string; count: number; shared: boolean }> }>('GET', '/v1/memory/vaults', alice)).body.vaults;
    expect(vaults.find((v) => v.agent_id === 'shared')).toMatchObject({ shared: true, count: 1 });
    expect(vaults.find((v) => v.agent_id === 'finn')).toMatchObject({ shared: false, count: 1 });
    expect((await api<{ vaults: unknown[] }>('GET', '/v1/memory/vaults', bob)).body.vaults).toEqual([{ agent_id: 'shared', shared: true, count: 0, by_type: {}, updated_at: null }]);

    // A chosen id: another user's live memory is a conflict; once deleted, the id is free, and the new memory is its writer's.
    expect((await api('POST', '/v1/memory/vaults/eric/memories', alice, { id: 'chosen-1', title: 'Alice first' })).status).toBe(201);
    expect((await api('POST', '/v1/memory/vaults/eric/memories', bob, { id: 'chosen-1', title: 'Bob too' })).status).toBe(409);
    expect((await api('DELETE', '/v1/memory/vaults/eric/memories/chosen-1', alice)).status).toBe(200);
    expect((await api('POST', '/v1/memory/vaults/eric/memories', bob, { id: 'chosen-1', title: 'Bob now' })).status).toBe(201);
    expect((await api<Memory>('GET', '/v1/memory/vaults/eric/memories/chosen-1', bob)).body.title).toBe('Bob now');
    expect((await api('GET', '/v1/memory/vaults/eric/memories/chosen-1', alice)).status).toBe(404);
  });

  it('ranks with web-search syntax, corrects typos by trigrams, and says why each hit matched', async () => {
    const post = async (title: string, body: string, tags: string[] = []) =>
      (await api<Memory>('POST', '/v1/memory/vaults/ranker/memories', alice, { title, body, tags, type: 'fact' })).body.id;
    const titleHit = await post('Kubernetes upgrade checklist', 'Steps for the cluster upgrade.');
    const bodyHit = await post('Release day', 'Before the Kubernetes upgrade, freeze merges.');
    const rollback = await post('Rollback plan', 'Roll back the Kubernetes upgrade with the previous chart.');
    const blue = await post('Blue green', 'Switch traffic between two identical environments.');

    const plain = await search(alice, 'kubernetes upgrade', '&agent_id=ranker');
    expect(plain.mode).toBe('text');
    expect(plain.results[0]!.id).toBe(titleHit); // the title weighs more than the body
    expect(plain.results.map((h) => h.id).sort()).toEqual([titleHit, bodyHit, rollback].sort());
    expect(plain.results.every((h) => h.match === 'text' && (h.scores.text ?? 0) > 0 && h.scores.final > 0)).toBe(true);
    expect(plain.results[0]!.snippet).toContain('**');

    const excluded = await search(alice, 'kubernetes upgrade -rollback', '&agent_id=ranker');
    expect(excluded.results.map((h) => h.id).sort()).toEqual([titleHit, bodyHit].sort());
    const either = await search(alice, '"identical environments" or checklist', '&agent_id=ranker');
    expect(either.results.map((h) => h.id).sort()).toEqual([titleHit, blue].sort());

    // A question holds words no memory has all of: the memories holding most of them come first.
    const question = await search(alice, 'how do we freeze merges before a release?', '&agent_id=ranker');
    expect(question.results[0]!.id).toBe(bodyHit);

    const typo = await search(alice, 'kubernets upgarde', '&agent_id=ranker');
    expect(typo.corrections).toEqual({ kubernets: expect.arrayContaining(['kubernetes']), upgarde: expect.arrayContaining(['upgrade']) });
    expect(typo.results.map((h) => h.id).sort()).toEqual([titleHit, bodyHit, rollback].sort());
  });

  it('pages a vault by type and tag, and draws its link graph', async () => {
    const save = async (title: string, body: string, type: string, tags: string[]) =>
      (await api<Memory>('POST', '/v1/memory/vaults/grapher/memories', alice, { title, body, type, tags })).body;
    const a = await save('Alpha', 'Depends on [[Beta]] and [[Nowhere]].', 'decision', ['core']);
    const b = await save('Beta', 'Uses [[Gamma|the gamma service]].', 'pattern', ['core']);
    const c = await save('Gamma', 'Leaf.', 'fact', []);
    expect(a.links).toEqual(['Beta', 'Nowhere']);

    const first = await api<{ memories: Memory[]; total: number; next_cursor: string | null }>('GET', '/v1/memory/vaults/grapher?limit=2', alice);
    expect(first.body.total).toBe(3);
    expect(first.body.memories.map((m) => m.id)).toEqual([c.id, b.id]);
    const second = await api<{ memories: Memory[]; next_cursor: string | null }>('GET', `/v1/memory/vaults/grapher?limit=2&cursor=${first.body.next_cursor}`, alice);
    expect(second.body.memories.map((m) => m.id)).toEqual([a.id]);
    expect(second.body.next_cursor).toBeNull();
    expect((await api<{ memories: Memory[] }>('GET', '/v1/memory/vaults/grapher?type=pattern', alice)).body.memories.map((m) => m.id)).toEqual([b.id]);
    expect((await api<{ memories: Memory[] }>('GET', '/v1/memory/vaults/grapher?tag=core', alice)).body.memories.map((m) => m.id).sort()).toEqual([a.id, b.id].sort());
    expect((await api('GET', '/v1/memory/vaults/grapher?cursor=nonsense', alice)).status).toBe(400);

    const graph = (await api<{ nodes: Array<{ id: string }>; edges: Array<{ from: string; to: string | null; resolved: boolean }> }>('GET', '/v1/memory/vaults/grapher/graph', alice)).body;
    expect(graph.nodes.map((n) => n.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(graph.edges).toEqual(expect.arrayContaining([
      { from: a.id, to: b.id, title: 'Beta', resolved: true }, { from: a.id, to: null, title: 'Nowhere', resolved: false },
      { from: b.id, to: c.id, title: 'Gamma', resolved: true },
    ]));
    const near = (await api<{ nodes: Array<{ id: string }> }>('GET', `/v1/memory/vaults/grapher/graph?memory_id=${a.id}`, alice)).body;
    expect(near.nodes.map((n) => n.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('refuses bad input with a 400 that names it, and changes nothing', async () => {
    expect((await api('POST', '/v1/memory/vaults/eric/memories', alice, { body: 'no title' })).status).toBe(400);
    expect((await api('POST', '/v1/memory/vaults/eric/memories', alice, { title: 'x', type: 'gossip' })).status).toBe(400);
    expect((await api('POST', '/v1/memory/vaults/bad%20vault/memories', alice, { title: 'x' })).status).toBe(400);
    const noQuery = await api<{ error: string }>('GET', '/v1/memory/search', alice);
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.error).toMatch(/query/);
    expect((await api('GET', '/v1/memory/search?query=x&limit=1000', alice)).status).toBe(400);
  });
});
