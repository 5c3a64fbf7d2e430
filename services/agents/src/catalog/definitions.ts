import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { builtinPipelines } from '@cadre/pipelines';
import { AgentLimits, ValidationError, issuesToDetails, type AgentView } from '@cadre/proto';

/** An agent as a file defines it, before the API's overrides. */
export interface AgentDefinition {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly persona: string;
  readonly model?: string;
  readonly tools: readonly string[];
  readonly limits: AgentLimits;
  readonly source: AgentView['source'];
  readonly pipelines: readonly string[];
}

const AgentFile = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  persona: z.string().min(1),
  model: z.string().regex(/^[a-z0-9][a-z0-9_-]*\/.+$/, 'provider/model').optional(),
  tools: z.array(z.string().min(1).max(64)).default([]),
  limits: AgentLimits.default({}),
});
const AgentFileContent = z.union([z.strictObject({ agents: z.array(AgentFile).min(1) }), AgentFile]);

/** The agents the built-in pipelines declare, with each pipeline's defaults as the agent's limits. */
export async function builtinAgents(): Promise<AgentDefinition[]> {
  const byId = new Map<string, AgentDefinition>();
  for (const { pipeline } of await builtinPipelines()) {
    for (const agent of pipeline.agents) {
      const known = byId.get(agent.id);
      if (known) {
        // The same agent in two pipelines: one definition, used by both.
        byId.set(agent.id, { ...known, pipelines: [...known.pipelines, pipeline.id] });
        continue;
      }
      const d = pipeline.defaults;
      byId.set(agent.id, {
        id: agent.id, name: agent.name, persona: agent.persona, model: agent.model ?? d.model, tools: agent.tools ?? [],
        limits: { max_turns: d.maxTurns, timeout_seconds: d.timeoutSeconds, temperature: d.temperature, ...(d.maxTokens ? { max_tokens: d.maxTokens } : {}) },
        source: 'builtin', pipelines: [pipeline.id],
      });
    }
  }
  return [...byId.values()];
}

/** Agents of a folder: `.yml`, `.yaml` or `.json` files holding one agent or `agents: [...]`; errors name the file and field. */
export async function loadAgentDir(dir: string): Promise<AgentDefinition[]> {
  const files = (await readdir(dir)).filter((f) => ['.yml', '.yaml', '.json'].includes(extname(f))).sort();
  const agents: AgentDefinition[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8');
    let raw: unknown;
    try {
      raw = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new ValidationError(`${path}: not valid ${extname(file).slice(1)}: ${(error as Error).message}`, [{ path: file, message: 'parse error' }]);
    }
    const parsed = AgentFileContent.safeParse(raw);
    if (!parsed.success) throw new ValidationError(`${path}: invalid agent definition`, issuesToDetails(parsed.error.issues));
    const list = 'agents' in parsed.data ? parsed.data.agents : [parsed.data];
    for (const agent of list) {
      agents.push({
        id: agent.id, name: agent.name, persona: agent.persona, tools: agent.tools, limits: agent.limits, source: 'file', pipelines: [],
        ...(agent.description ? { description: agent.description } : {}), ...(agent.model ? { model: agent.model } : {}),
      });
    }
  }
  return agents;
}

/** Built-in agents, then the folder's (a folder agent with a built-in's id replaces it). */
export async function loadAgentDefinitions(dir: string | undefined): Promise<ReadonlyMap<string, AgentDefinition>> {
  const map = new Map<string, AgentDefinition>();
  for (const agent of await builtinAgents()) map.set(agent.id, agent);
  if (dir) for (const agent of await loadAgentDir(dir)) map.set(agent.id, { ...agent, pipelines: map.get(agent.id)?.pipelines ?? [] });
  return map;
}
