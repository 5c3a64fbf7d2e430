import { testing } from '@cadre/llm';
import {
  ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError, agentConfigUpdate, agentGet, agentList, agentRuns,
  agentToolRemove, agentToolSet, agentToolsGet, llmCallGet, llmCallList, llmCallSummary, providerKeys, providerList, providerUpdate, usageHistory, usageSummary,
} from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ADMIN, MEMBER, startHarness, type Harness } from './test-support/harness';

const echo = { name: 'echo', description: 'Echoes its input', parameters: { type: 'object', properties: { text: { type: 'string' } } }, run: (a: Readonly<Record<string, unknown>>) => a.text };

describe('agents API', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ tools: [echo] });
  });
  afterAll(async () => h?.dispose());

  describe('agents', () => {
    it('lists the agents the built-in pipelines declare, with their pipeline defaults', async () => {
      const { agents } = await h.send(agentList, {});
      expect(agents.map((a) => a.id)).toEqual(expect.arrayContaining(['demo-writer', 'eng-planner', 'eng-implementer', 'eng-reviewer', 'plan-architect']));
      expect(agents.find((a) => a.id === 'demo-writer')).toMatchObject({ model: 'dry-run/echo', source: 'builtin', pipelines: ['demo'], limits: { max_turns: 4 }, overridden: false });
    });

    it('answers not found for an unknown agent', async () => {
      await expect(h.send(agentGet, { id: 'nobody' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('overrides an agent\'s configuration and keeps the rest of its definition', async () => {
      const updated = await h.send(agentConfigUpdate, { id: 'eng-reviewer', model: 'openai/gpt-test', limits: { max_turns: 3 } }, ADMIN);
      expect(updated).toMatchObject({ id: 'eng-reviewer', name: 'Reviewer', model: 'openai/gpt-test', overridden: true, limits: { max_turns: 3, timeout_seconds: 1800 } });
      await expect(h.send(agentGet, { id: 'eng-reviewer' })).resolves.toMatchObject({ model: 'openai/gpt-test' });
      // null goes back to the step's model
      await expect(h.send(agentConfigUpdate, { id: 'eng-reviewer', model: null }, ADMIN)).resolves.not.toHaveProperty('model');
    });

    it('creates an agent through the API only with a persona', async () => {
      await expect(h.send(agentConfigUpdate, { id: 'helper', name: 'Helper' }, ADMIN)).rejects.toBeInstanceOf(ValidationError);
      await expect(h.send(agentConfigUpdate, { id: 'helper', name: 'Helper', persona: 'You help.' }, ADMIN))
        .resolves.toMatchObject({ id: 'helper', source: 'api', persona: 'You help.' });
      expect((await h.send(agentList, {})).agents.map((a) => a.id)).toContain('helper');
    });
  });

  describe('tool overrides', () => {
    it('turns an installed tool on for an agent, then removes the override', async () => {
      const before = await h.send(agentToolsGet, { agent_id: 'demo-writer' });
      // The memory and code graph tools are installed in every agents service, off until an agent or step names them.
      expect(before.tools.map((t) => t.name)).toEqual([
        'code_graph_changes', 'code_graph_context', 'code_graph_impact', 'code_graph_query', 'echo', 'rate_memories', 'recall', 'remember',
      ]);
      const echo = (tools: typeof before.tools) => tools.filter((t) => t.name === 'echo');
      expect(echo(before.tools)).toEqual([{ name: 'echo', description: 'Echoes its input', enabled: false, source: 'available', registered: true }]);
      const on = await h.send(agentToolSet, { agent_id: 'demo-writer', tool: 'echo', enabled: true }, ADMIN);
      expect(echo(on.tools)).toEqual([expect.objectContaining({ name: 'echo', enabled: true, source: 'override' })]);
      await expect(h.send(agentGet, { id: 'demo-writer' })).resolves.toMatchObject({ tools: ['echo'] });
      const off = await h.send(agentToolRemove, { agent_id: 'demo-writer', tool: 'echo' }, ADMIN);
      expect(echo(off.tools)).toEqual([expect.objectContaining({ name: 'echo', enabled: false, source: 'available' })]);
      await expect(h.send(agentToolRemove, { agent_id: 'demo-writer', tool: 'echo' }, ADMIN)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('removes an override once when two admins remove it at the same time', async () => {
      await h.send(agentToolSet, { agent_id: 'eng-planner', tool: 'echo', enabled: true }, ADMIN);
      const outcomes = await Promise.allSettled([1, 2].map(() => h.send(agentToolRemove, { agent_id: 'eng-planner', tool: 'echo' }, ADMIN)));
      // Each decides on the stream at the version it read: the later one sees the override gone.
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(outcomes.find((o) => o.status === 'rejected')?.reason).toBeInstanceOf(NotFoundError);
      await eventually(() => expect(h.events.map((m) => m.json<{ type: string; stream: string }>())
        .filter((e) => e.stream === 'agent-eng-planner').map((e) => e.type)).toEqual(['agent_tool_override_set', 'agent_tool_override_removed']));
    });

    it('offers the model only the tools the overrides leave enabled', async () => {
      await h.send(agentConfigUpdate, { id: 'tool-user', persona: 'You use tools.', tools: ['echo'] }, ADMIN);
      await h.send(agentToolSet, { agent_id: 'tool-user', tool: 'echo', enabled: false }, ADMIN);
      const before = h.server.requests.length;
      h.server.enqueue(testing.openAiStream({ text: 'no tools needed' }));
      await h.enqueue({ run_id: 'run-tools-off', step_id: 's', agent_id: 'tool-user', tools: ['echo'] });
      await h.outcome('run-tools-off');
      const body = h.server.requests[before]?.body as { tools: Array<{ function: { name: string } }>; messages: Array<{ content: string }> };
      expect(body.tools.map((t) => t.function.name)).toEqual(['complete', 'fail']);
      // The API persona replaces the job's system prompt.
      expect(body.messages[0]?.content).toBe('You use tools.');
    });
  });

  describe('providers', () => {
    it('lists the configured providers with keys masked to admins, and to members only which ones are on', async () => {
      const { providers } = await h.send(providerList, {}, ADMIN);
      expect(providers.find((p) => p.id === 'openai')).toEqual({
        id: 'openai', kind: 'openai', base_url: `${h.server.url}/v1`, enabled: true, api_key_set: true, api_key_masked: 'sk-…0001', source: 'env',
      });
      expect(JSON.stringify(providers)).not.toContain('sk-test-key-0001');
      const seen = await h.send(providerList, {}, MEMBER);
      expect(seen.providers.find((p) => p.id === 'openai')).toEqual({ id: 'openai', kind: 'openai', enabled: true, api_key_set: true, source: 'env' });
      expect(JSON.stringify(seen)).not.toMatch(/base_url|api_key_masked|sk-/);
    });

    it('only lets admins change providers and read keys', async () => {
      await expect(h.send(providerUpdate, { id: 'openai', enabled: false }, MEMBER)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(h.send(providerKeys, {}, MEMBER)).rejects.toBeInstanceOf(ForbiddenError);
      await expect(h.send(providerKeys, {})).rejects.toBeInstanceOf(UnauthenticatedError);
    });

    it('stores a new provider\'s key encrypted and uses it at once', async () => {
      const view = await h.send(providerUpdate, { id: 'scripted', kind: 'openai', base_url: `${h.server.url}/v1`, api_key: 'sk-scripted-secret-9876' }, ADMIN);
      expect(view).toMatchObject({ id: 'scripted', api_key_set: true, api_key_masked: 'sk-…9876', source: 'api' });
      await expect(h.send(providerKeys, {}, ADMIN)).resolves.toMatchObject({ keys: { scripted: 'sk-scripted-secret-9876', openai: 'sk-test-key-0001' } });
      // Sealed at rest in a table of its own: neither the stored event nor the bus message holds
      // the key, in plain text or sealed.
      const { rows } = await h.pool.query<{ data: { api_key_ref?: string; api_key_encrypted?: unknown } }>(`select data from agents.events where type = 'provider_settings_updated'`);
      expect(JSON.stringify(rows)).not.toContain('sk-scripted-secret-9876');
      expect(JSON.stringify(rows)).not.toMatch(/"api_key_encrypted":"/);
      const ref = rows.find((r) => r.data.api_key_ref)?.data.api_key_ref;
      const sealed = await h.pool.query<{ sealed: string }>('select sealed from agents.provider_keys where ref = $1', [ref]);
      expect(sealed.rows[0]?.sealed).toMatch(/^v1:/);
      await eventually(() => expect(h.events.some((m) => m.subject === 'evt.agents.provider_settings_updated.settings')).toBe(true));
      expect(h.events.map((m) => new TextDecoder().decode(m.data)).join('')).not.toContain('sk-scripted-secret-9876');

      const before = h.server.requests.length;
      h.server.enqueue(testing.openAiStream({ text: 'via the new provider', usage: { prompt_tokens: 7, completion_tokens: 3 } }));
      await h.enqueue({ run_id: 'run-scripted', step_id: 's', agent_id: 'eng-planner', model: 'scripted/some-model' });
      await expect(h.outcome('run-scripted')).resolves.toMatchObject({ kind: 'completed', payload: { outputs: { result: 'via the new provider' } } });
      expect(h.server.requests[before]?.headers.authorization).toBe('Bearer sk-scripted-secret-9876');
    });

    it('rejects settings the registry cannot use', async () => {
      await expect(h.send(providerUpdate, { id: 'nowhere', kind: 'openai' }, ADMIN)).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('usage', () => {
    it('shows an agent\'s runs and, to each user, the usage of the runs they created, per day', async () => {
      const runs = await eventually(async () => {
        const reply = await h.send(agentRuns, { id: 'eng-planner' }, ADMIN);
        expect(reply.runs).toHaveLength(1);
        return reply.runs;
      });
      expect(runs[0]).toMatchObject({ run_id: 'run-scripted', step_id: 's', llm_calls: 1, input_tokens: 7, output_tokens: 3 });

      // A run the member created: its model call counts for the member only.
      h.server.enqueue(testing.openAiStream({ text: 'the member\'s answer', usage: { prompt_tokens: 11, completion_tokens: 5 } }));
      await h.enqueue({ run_id: 'run-member', step_id: 's', agent_id: 'eng-planner', model: 'openai/gpt-test', user_id: MEMBER.user_id! });
      await h.outcome('run-member');
      const mine = await eventually(async () => {
        const usage = await h.send(usageSummary, {}, MEMBER);
        expect(usage.totals.calls).toBe(1);
        return usage;
      });
      // gpt-test costs 2 and 8 USD per million tokens in and out.
      expect(mine).toMatchObject({
        user_id: 'u-member', totals: { calls: 1, input_tokens: 11, output_tokens: 5, total_tokens: 16, cost_usd: (11 * 2 + 5 * 8) / 1e6 },
        by_provider: [expect.objectContaining({ provider: 'openai', calls: 1 })],
        by_model: [expect.objectContaining({ provider: 'openai', model: 'gpt-test', calls: 1 })],
      });
      const call = (await h.send(llmCallList, { run_id: 'run-member' }, ADMIN)).calls[0];
      expect(call).toMatchObject({ user_id: 'u-member', input_tokens: 11 });
      await expect(h.send(llmCallList, { user_id: 'u-member' }, ADMIN)).resolves.toMatchObject({ total: 1 });
      // A member reads their own calls only: the list and the totals are narrowed to them, and
      // another user's call answers as one that does not exist.
      await expect(h.send(llmCallList, {}, MEMBER)).resolves.toMatchObject({ total: 1, calls: [expect.objectContaining({ user_id: 'u-member' })] });
      await expect(h.send(llmCallList, { user_id: 'u-admin' }, MEMBER)).resolves.toMatchObject({ total: 1 });
      await expect(h.send(llmCallSummary, {}, MEMBER)).resolves.toMatchObject({ totals: { calls: 1 } });
      const others = (await h.send(llmCallList, { run_id: 'run-scripted' }, ADMIN)).calls;
      expect(others).toHaveLength(1);
      await expect(h.send(llmCallGet, { id: others[0]!.id }, MEMBER)).rejects.toBeInstanceOf(NotFoundError);
      await expect(h.send(llmCallGet, { id: call!.id }, MEMBER)).resolves.toMatchObject({ user_id: 'u-member' });
      await expect(h.send(llmCallList, {})).rejects.toBeInstanceOf(UnauthenticatedError);
      // The agent's runs: an admin sees both, the member only their own.
      await eventually(async () => expect((await h.send(agentRuns, { id: 'eng-planner' }, ADMIN)).runs).toHaveLength(2));
      expect((await h.send(agentRuns, { id: 'eng-planner' }, MEMBER)).runs.map((r) => r.run_id)).toEqual(['run-member']);
      // Runs no user created (earlier jobs carry no user) are in nobody's personal usage.
      await expect(h.send(usageSummary, {}, ADMIN)).resolves.toMatchObject({ user_id: 'u-admin', totals: { calls: 0 } });
      const history = await h.send(usageHistory, { days: 7 }, MEMBER);
      expect(history).toEqual({ user_id: 'u-member', days: [expect.objectContaining({ day: new Date().toISOString().slice(0, 10), calls: 1, input_tokens: 11 })] });
      // Whose usage is decided by the credential, never by the request.
      await expect(h.send(usageSummary, {})).rejects.toBeInstanceOf(UnauthenticatedError);
      await expect(h.send(usageSummary, {}, { kind: 'service', role: 'admin', credential_id: 'engine' })).rejects.toBeInstanceOf(ForbiddenError);
    });
  });
});
