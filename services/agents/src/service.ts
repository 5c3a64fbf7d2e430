import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect } from 'kysely';
import { BACKSTOP_LINGER_MS, defineService, packageVersion, startProjection, type ServiceKit } from '@cadre/kit';
import { agentRoutes } from '@cadre/proto';
import type { Worker } from '@cadre/kit';
import { createAgentCatalog } from './catalog/catalog';
import { loadAgentDefinitions } from './catalog/definitions';
import { agentsConfigShape, loadAgentsConfig, type AgentsConfig } from './config';
import type { AgentsContext } from './context';
import { startExecutor } from './executor/worker';
import { agentsEndpoints } from './handlers';
import { createLlmCallsReader, llmCallsProjection } from './readmodel/llm-calls';
import { createSecretBox } from './settings/crypto';
import { createProviderSettings } from './settings/providers';
import type { AgentsDatabase } from './storage/database';
import { agentsMigrations, settingOnce } from './storage/migrations';
import { memoryTools } from './tools/memory';
import { codeGraphTools } from './tools/code-graph';
import { createToolRegistry, type AgentTool, type ToolRegistry } from './tools/registry';

/** Options of the agents service beyond its config: the tools agents may call besides `complete` and `fail`. */
export interface AgentsServiceOptions {
  readonly tools?: readonly AgentTool[] | ToolRegistry;
}

/** The agents context and what its workers need besides. */
interface AgentsRuntime extends AgentsContext {
  readonly startWorkers: () => Promise<readonly Worker[]>;
}

/**
 * Agents: definitions (built-in and CADRE_AGENTS_DIR) and tool overrides, provider settings
 * (keys encrypted at rest) and the model registry built from them, the LLM call log, and the
 * agent executor. Its run events (output, tool calls, LLM calls) and the activity feed belong
 * to the run's owner on the stream.
 */
export const agentsService = defineService({
  name: 'agents',
  description: 'Agents, the agent executor, model providers and LLM calls',
  version: packageVersion(__dirname),
  config: { shape: agentsConfigShape, load: loadAgentsConfig },
  schema: (config: AgentsConfig) => config.AGENTS_SCHEMA,
  events: [{ name: 'agents', visibility: 'owner' }, { name: 'activity', visibility: 'owner' }],
  migrations: agentsMigrations,
  routes: agentRoutes,
  async context(kit: ServiceKit<AgentsConfig, AgentsDatabase>, options: AgentsServiceOptions | undefined): Promise<AgentsRuntime> {
    const { config, bus, store, logger, schema, pool } = kit;
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    let secret: string;
    if (config.CADRE_SECRET_KEY !== undefined) {
      secret = config.CADRE_SECRET_KEY;
    } else {
      secret = await settingOnce(kit.db, 'provider_key_secret', () => randomBytes(32).toString('base64'));
      logger.warn({ schema }, 'CADRE_SECRET_KEY is not set: provider keys are encrypted with a key generated once and kept in the database');
    }
    const given = options?.tools;
    const tools = given && 'register' in given ? given : createToolRegistry(given ?? []);
    // The memory tools call the memory service over the bus; a caller's tool of the same name wins.
    for (const tool of memoryTools(bus)) if (tools.get(tool.name) === undefined) tools.register(tool);
    // The code graph tools read the knowledge service's graph of the run's project.
    for (const tool of codeGraphTools(bus)) if (tools.get(tool.name) === undefined) tools.register(tool);
    const providers = await createProviderSettings({ store, db: kit.db, env: config.llm, box: createSecretBox(secret), logger });
    const ctx: AgentsContext = {
      config, bus, store, logger, tools, providers, clock: kit.clock, newId: kit.newId,
      catalog: createAgentCatalog(store, await loadAgentDefinitions(config.CADRE_AGENTS_DIR), bus),
      llmCalls: createLlmCallsReader(db, schema),
      now: () => performance.now(),
    };
    return {
      ...ctx,
      startWorkers: async () => [
        await providers.follow(bus),
        // Steps keep each agent's overrides until a replica changes them.
        await ctx.catalog.follow(bus),
        // Usage is read by people, not by the step: the calls of the next moments go in one claim and one transaction.
        await startProjection(kit, llmCallsProjection(schema), { lingerMs: BACKSTOP_LINGER_MS }),
        ...(config.AGENTS_EXECUTOR_ENABLED ? [await startExecutor(ctx)] : []),
      ],
    };
  },
  workers: (ctx) => ctx.startWorkers(),
  endpoints: (ctx) => Object.entries(agentsEndpoints(ctx)),
  started: (ctx) => ({
    executor: ctx.config.AGENTS_EXECUTOR_ENABLED, concurrency: ctx.config.AGENTS_CONCURRENCY, providers: ctx.providers.registry().providerIds,
  }),
});
