import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError, type EventEnvelope, type StepJob } from '@cadre/proto';
import { applyOverrides, enabledTools, foldAgent } from './catalog/agent-state';
import { loadAgentDefinitions } from './catalog/definitions';
import { createSecretBox, maskSecret } from './settings/crypto';
import { completeTool, missingOutputs } from './tools/step-control';
import { createToolRegistry } from './tools/registry';

const event = (type: string, data: Record<string, unknown>, version: number): EventEnvelope => ({
  id: `00000000-0000-7000-8000-00000000000${version}`, type, stream: 'agent-a', version, occurredAt: '2025-01-01T00:00:00.000Z', data, meta: { schemaVersion: 1 },
});

const job = (over: Partial<StepJob> = {}): StepJob => ({
  run_id: 'r', step_id: 's', attempt: 1, agent_id: 'a', model: 'dry-run/echo', system_prompt: '', input: 'x', outputs: [], tools: [],
  limits: { timeout_seconds: 10, max_turns: 2 }, ...over,
});

describe('agent overrides', () => {
  it('fold config changes field by field and tool overrides by name', () => {
    const state = foldAgent([
      event('agent_config_updated', { agent_id: 'a', model: 'openai/x', limits: { max_turns: 3 } }, 1),
      event('agent_config_updated', { agent_id: 'a', limits: { temperature: 0.5 } }, 2),
      event('agent_tool_override_set', { agent_id: 'a', tool: 'web', enabled: false }, 3),
      event('agent_tool_override_set', { agent_id: 'a', tool: 'shell', enabled: true }, 4),
      event('agent_tool_override_removed', { agent_id: 'a', tool: 'shell' }, 5),
    ]);
    expect(state).toMatchObject({ model: 'openai/x', limits: { max_turns: 3, temperature: 0.5 }, toolOverrides: { web: false }, changed: true });
    expect(enabledTools(['web', 'files'], { web: false, shell: true })).toEqual(['files', 'shell']);
  });

  it('need a persona to make an agent that no file defines', () => {
    expect(applyOverrides('x', undefined, foldAgent([event('agent_config_updated', { agent_id: 'x', name: 'X' }, 1)]))).toBeUndefined();
    expect(applyOverrides('x', undefined, foldAgent([event('agent_config_updated', { agent_id: 'x', persona: 'p' }, 1)]))).toMatchObject({ id: 'x', source: 'api' });
  });
});

describe('agent definitions', () => {
  it('load the built-in pipelines\' agents and a folder\'s, the folder winning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cadre-agents-'));
    await writeFile(join(dir, 'team.yml'), 'agents:\n  - id: eng-planner\n    name: My planner\n    persona: Plan well.\n  - id: scout\n    name: Scout\n    persona: Look around.\n    tools: [web]\n');
    const agents = await loadAgentDefinitions(dir);
    expect(agents.get('eng-planner')).toMatchObject({ name: 'My planner', source: 'file', pipelines: ['engineering'] });
    expect(agents.get('scout')).toMatchObject({ tools: ['web'], source: 'file' });
    expect(agents.get('demo-writer')).toMatchObject({ source: 'builtin', model: 'dry-run/echo' });
  });

  it('reject a bad file naming it and the field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cadre-agents-'));
    await writeFile(join(dir, 'bad.yaml'), 'id: Bad Id\nname: x\npersona: y\n');
    const error = await loadAgentDefinitions(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('bad.yaml');
  });
});

describe('secret box', () => {
  it('round-trips, uses a fresh IV each time and refuses another key', () => {
    const box = createSecretBox('a key that is long enough for the box 123');
    const a = box.seal('sk-secret');
    expect(a).not.toBe(box.seal('sk-secret'));
    expect(box.open(a)).toBe('sk-secret');
    expect(() => createSecretBox('another key that is long enough 1234567').open(a)).toThrow();
    expect(maskSecret('sk-abcdefghijklmnop')).toBe('sk-…mnop');
    expect(maskSecret('short')).toBe('****');
  });
});

describe('step control', () => {
  it('asks complete for the declared outputs, or the structured output schema', () => {
    expect(completeTool(job({ outputs: ['plan'] })).parameters).toMatchObject({ required: ['plan'] });
    expect(completeTool(job()).parameters).toMatchObject({ required: ['result'] });
    const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
    expect(completeTool(job({ structured_output: schema })).parameters).toBe(schema);
    expect(missingOutputs(job({ outputs: ['a', 'b'] }), { a: 1 })).toEqual(['b']);
    expect(missingOutputs(job({ structured_output: schema }), {})).toEqual(['n']);
  });

  it('keeps complete and fail out of the tool registry', () => {
    const registry = createToolRegistry();
    expect(() => registry.register({ name: 'complete', description: '', parameters: {}, run: () => null })).toThrow(/reserved/);
  });
});
