import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Kysely, PostgresDialect } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { createEventStore, outboxBacklog, startOutboxRelay } from '@cadre/eventstore';
import { createEventRegistry } from '@cadre/proto';
import { createServiceMetrics, eventStoreMetrics, startService, type Service, type ServiceDeps } from '@cadre/runtime';
import { createAgentCatalog } from './catalog/catalog';
import { loadAgentDefinitions } from './catalog/definitions';
import type { AgentsConfig } from './config';
import type { AgentsContext } from './context';
import { startExecutor } from './executor/worker';
import { agentsEndpoints } from './handlers';
import { createLlmCallsReader, startLlmCallsProjection } from './readmodel/llm-calls';
import { createSecretBox } from './settings/crypto';
import { createProviderSettings } from './settings/providers';
import { migrateAgentsTables, settingOnce } from './storage/migrations';
import { createToolRegistry, type AgentTool, type ToolRegistry } from './tools/registry';

export { loadAgentsConfig, agentsConfigShape, type AgentsConfig } from './config';
export { createToolRegistry, RESERVED_TOOL_NAMES, type AgentTool, type ToolContext, type ToolRegistry } from './tools/registry';
export { createSecretBox, maskSecret, type SecretBox } from './settings/crypto';

/** Sources of time and ids, and the tools later services install. */
export interface AgentsOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** Tools agents may call besides `complete` and `fail` (more can be added with the returned registry). */
  readonly tools?: readonly AgentTool[] | ToolRegistry;
}

/** The running agents service and its tool registry (`registerTool` for later services). */
export type AgentsService = Service & { readonly tools: ToolRegistry };

const VERSION = '0.1.0';

/**
 * Starts the agents service: its event store and tables in its own schema, agent definitions
 * (built-in and CADRE_AGENTS_DIR), provider settings and the model registry built from them,
 * the LLM call log, the outbox relay, the `agents.*` handlers and the agent executor.
 */
export async function startAgents(deps: ServiceDeps, config: AgentsConfig, options: AgentsOptions = {}): Promise<AgentsService> {
  const { logger, bus } = deps;
  const clock = options.clock ?? (() => new Date());
  const schema = config.AGENTS_SCHEMA;
  const registry = createEventRegistry();
  // Metrics first, so the store counts its appends on the service's registry.
  const metrics = createServiceMetrics('agents', deps.instance);
  const storeMetrics = eventStoreMetrics(metrics.registry);
  const store = await createEventStore({ pool: deps.pool, schema, registry, domain: ['agents', 'activity'], clock, onAppended: storeMetrics.onAppended });
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: deps.pool }) });
  await migrateAgentsTables(db, schema);

  let secret: string;
  if (config.CADRE_SECRET_KEY !== undefined) {
    secret = config.CADRE_SECRET_KEY;
  } else {
    secret = await settingOnce(db, schema, 'provider_key_secret', () => randomBytes(32).toString('base64'));
    logger.warn({ schema }, 'CADRE_SECRET_KEY is not set: provider keys are encrypted with a key generated once and kept in the database');
  }
  const tools = options.tools && 'register' in options.tools ? options.tools : createToolRegistry(options.tools ?? []);
  const providers = await createProviderSettings({ store, env: config.llm, box: createSecretBox(secret), logger });
  const ctx: AgentsContext = {
    config, bus, store, logger, tools, providers, clock,
    catalog: createAgentCatalog(store, await loadAgentDefinitions(config.CADRE_AGENTS_DIR)),
    llmCalls: createLlmCallsReader(db, schema),
    newId: options.newId ?? (() => uuidv7()),
    now: () => performance.now(),
  };

  const relay = startOutboxRelay({ store, bus, logger, onCounter: storeMetrics.onRelayCounter });
  storeMetrics.watchBacklog(() => outboxBacklog(store));
  const service = await startService({
    name: 'agents', version: VERSION, instance: deps.instance, bus, logger,
    ...(deps.probePort !== undefined ? { probePort: deps.probePort } : {}),
    checks: { database: async () => (await deps.pool.query('select 1')).rowCount === 1 },
    metrics,
  });
  // Stopped before the bus drains: the relay publishes on it, the followers read from it.
  service.track({ stop: () => relay.stop(), closed: new Promise(() => undefined) });
  service.track(await providers.follow(bus));
  service.track(await startLlmCallsProjection(deps.pool, schema, bus, registry));
  if (config.AGENTS_EXECUTOR_ENABLED) service.track(await startExecutor(ctx));
  // The Kysely instance is not destroyed: that would end the caller's pool.
  service.onShutdown(() => store.close());

  await service.handle(agentsEndpoints(ctx), 'Agents, the agent executor, model providers and LLM calls');
  logger.info({ schema, executor: config.AGENTS_EXECUTOR_ENABLED, concurrency: config.AGENTS_CONCURRENCY, providers: providers.registry().providerIds }, 'agents started');
  return Object.assign(service, { tools });
}
