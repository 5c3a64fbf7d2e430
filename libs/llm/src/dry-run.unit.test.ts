import { isAbortError } from './errors';
import { createLlmRegistry } from './registry';
import type { LlmCallRecord, LlmRequest, LlmStreamEvent, LlmToolSpec } from './types';

const registry = createLlmRegistry({ providers: { 'dry-run': {} } });

const completeTool: LlmToolSpec = {
  name: 'complete',
  description: 'Finish the step with its outputs',
  parameters: {
    type: 'object',
    properties: {
      outputs: {
        type: 'object',
        properties: { plan: { type: 'string' }, verdict: { type: 'string', enum: ['APPROVED', 'CHANGES_REQUESTED'] }, items: { type: 'array', items: { type: 'string' } } },
        required: ['plan', 'verdict'],
      },
    },
    required: ['outputs'],
  },
};

const base: LlmRequest = {
  model: 'dry-run/echo',
  system: 'You are a planner.',
  messages: [{ role: 'user', content: 'Plan the login page.' }],
};

async function events(request: LlmRequest): Promise<LlmStreamEvent[]> {
  const out: LlmStreamEvent[] = [];
  for await (const event of registry.stream(request)) out.push(event);
  return out;
}

describe('dry-run provider', () => {
  it('answers the same request the same way, labelled as a dry run', async () => {
    const first = await events(base);
    expect(await events(base)).toEqual(first);
    const result = await registry.complete(base);
    expect(result.text.startsWith('[dry-run]')).toBe(true);
    expect(result.text).toContain('no model was called');
    expect(result.text).toContain('Last user message: "Plan the login page."');
    expect(result.stopReason).toBe('end_turn');
    expect(first.filter((e) => e.type === 'text_delta').length).toBeGreaterThan(1);
  });

  it('reports plausible usage and costs nothing', async () => {
    const records: LlmCallRecord[] = [];
    const result = await registry.complete(base, { onCall: (record) => records.push(record) });
    expect(result.usage.inputTokens).toBeGreaterThan(5);
    expect(result.usage.outputTokens).toBe(Math.ceil(result.text.length / 4));
    expect(records).toEqual([expect.objectContaining({ provider: 'dry-run', model: 'echo', cost_usd: 0, cost_known: true, stop_reason: 'end_turn' })]);
  });

  it('calls the tools a DRY_RUN_CALL_TOOL directive names, once', async () => {
    const request: LlmRequest = {
      ...base,
      messages: [{ role: 'user', content: 'Do it.\nDRY_RUN_CALL_TOOL read_file {"path": "src/a.ts"}\nDRY_RUN_CALL_TOOL list_dir' }],
    };
    const first = await registry.complete(request);
    expect(first.stopReason).toBe('tool_use');
    expect(first.toolCalls).toEqual([
      { id: 'dryrun_0_0', name: 'read_file', args: { path: 'src/a.ts' } },
      { id: 'dryrun_0_1', name: 'list_dir', args: {} },
    ]);
    const next = await registry.complete({
      ...request,
      messages: [
        ...request.messages,
        first.message,
        { role: 'tool', toolCallId: 'dryrun_0_0', toolName: 'read_file', content: 'x' },
        { role: 'tool', toolCallId: 'dryrun_0_1', toolName: 'list_dir', content: 'boom', isError: true },
      ],
    });
    expect(next.toolCalls).toEqual([]);
    expect(next.text).toContain('Tool results: read_file ok, list_dir failed.');
  });

  it('finishes through the complete tool with outputs that fit its schema', async () => {
    const result = await registry.complete({ ...base, tools: [completeTool] });
    expect(result.stopReason).toBe('tool_use');
    expect(result.toolCalls).toEqual([
      {
        id: 'dryrun_0_0',
        name: 'complete',
        args: { outputs: { plan: '[dry-run] plan for: Plan the login page.', verdict: 'APPROVED', items: ['[dry-run] items_1 for: Plan the login page.'] } },
      },
    ]);
  });

  it('names the values of array items by their path, so the items of a list differ', async () => {
    const tasks: LlmToolSpec = {
      name: 'complete', description: 'Finish',
      parameters: {
        type: 'object', required: ['tasks'],
        properties: { tasks: { type: 'array', minItems: 2, items: { type: 'object', properties: { key: { type: 'string' }, deps: { type: 'array', items: { type: 'string' }, default: [] } } } } },
      },
    };
    const result = await registry.complete({ ...base, tools: [tasks] });
    expect(result.toolCalls[0]?.args).toEqual({
      tasks: [
        { key: '[dry-run] tasks_1.key for: Plan the login page.', deps: [] },
        { key: '[dry-run] tasks_2.key for: Plan the login page.', deps: [] },
      ],
    });
  });

  it('stops when aborted, between two pieces', async () => {
    const slow = createLlmRegistry({ providers: { 'dry-run': { chunk_delay_ms: 20 } } });
    const controller = new AbortController();
    const seen: LlmStreamEvent[] = [];
    const run = (async () => {
      for await (const event of slow.stream(base, { signal: controller.signal })) {
        seen.push(event);
        controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ reason: 'aborted', code: 'cancelled', kind: 'cancelled', retryable: false });
    expect(await run.catch((error: unknown) => isAbortError(error))).toBe(true);
    expect(seen).toHaveLength(1);
  });
});
