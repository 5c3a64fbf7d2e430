import { testing } from '@cadre/llm';
import { agentConfigUpdate, agentToolSet } from '@cadre/proto';
import { ADMIN, startHarness, type Harness } from './test-support/harness';

const { openAiStream } = testing;

const lookup = {
  name: 'lookup', description: 'Looks a word up',
  parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
  run: () => 'a small test value',
};

/**
 * Each replica keeps an agent's overrides for its steps; a change acknowledged by one replica is
 * seen by the next step on every replica. The model answers with the system prompt and the tools
 * it was offered, so each step's outputs say what its plan was.
 */
describe.each(['nats', 'embedded'] as const)('agent overrides kept for steps (%s bus, two replicas)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport, tools: [lookup] });
    await h.addReplica();
    h.server.respondWith((request) => {
      const body = request.body as { messages: Array<{ role: string; content: string }>; tools?: Array<{ function: { name: string } }> };
      const system = body.messages.find((m) => m.role === 'system')?.content ?? '';
      const tools = (body.tools ?? []).map((t) => t.function.name).filter((name) => name !== 'complete' && name !== 'fail');
      return openAiStream({ text: JSON.stringify({ system, tools }) });
    });
  });
  afterAll(async () => h?.dispose());

  let runs = 0;
  /** Runs `count` steps of agent `tester` at once and answers each one's plan. */
  const steps = async (count: number): Promise<Array<{ system: string; tools: string[] }>> => {
    const ids = Array.from({ length: count }, () => `${transport}-run-${++runs}`);
    await Promise.all(ids.map((run_id) => h.enqueue({ run_id, step_id: 'one' })));
    return Promise.all(ids.map(async (runId) => {
      const outcome = await h.outcome(runId);
      return JSON.parse(String((outcome.payload.outputs as { result: string }).result)) as { system: string; tools: string[] };
    }));
  };

  it('sees a change of persona and of tools at the next step, whichever replica takes it', async () => {
    // Both replicas take steps of the agent and keep its (empty) overrides.
    expect(await steps(8)).toEqual(Array.from({ length: 8 }, () => ({ system: 'You are a tester.', tools: [] })));
    await h.send(agentConfigUpdate, { id: 'tester', name: 'Tester', persona: 'You are the changed tester.' }, ADMIN);
    expect(await steps(8)).toEqual(Array.from({ length: 8 }, () => ({ system: 'You are the changed tester.', tools: [] })));
    await h.send(agentToolSet, { agent_id: 'tester', tool: 'lookup', enabled: true }, ADMIN);
    expect(await steps(8)).toEqual(Array.from({ length: 8 }, () => ({ system: 'You are the changed tester.', tools: ['lookup'] })));
  });
});
