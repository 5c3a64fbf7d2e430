import { Kysely, PostgresDialect } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { createEventStore, outboxBacklog, startOutboxRelay } from '@cadre/eventstore';
import { createEventRegistry } from '@cadre/proto';
import { createServiceMetrics, eventStoreMetrics, startService, type Service, type ServiceDeps } from '@cadre/runtime';
import type { ServiceDefinition, ServiceKit } from './define';
import { createIdempotency } from './idempotency';
import { migrateService } from './migrate';

type Env = Readonly<Record<string, string | undefined>>;

/** How to start a definition: its config (or the environment to parse it from), time, ids and its own options. */
export interface StartOptions<TConfig, TOptions> {
  /** Parsed config; else parsed from `env` (default `process.env`). */
  readonly config?: TConfig;
  readonly env?: Env;
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** The service's own options (e.g. tools the agents service installs). */
  readonly options?: TOptions;
}

/** A running defined service: the runtime service and the context its handlers share. */
export type DefinedService<TContext> = Service & {
  readonly name: string;
  readonly context: TContext;
};

/** How long an unanswered Idempotency-Key claim holds before another attempt may run the command (well past any bus timeout). */
const IDEMPOTENCY_LEASE_MS = 60_000;

/**
 * Runs one service definition: config, metrics, event store (guarded to its domains), its
 * migrations, its context, the outbox relay, its workers and its endpoints, on the runtime
 * skeleton (probes, heartbeat, shutdown in order: workers and relay stop before the bus drains,
 * the store closes after).
 */
export async function startDefinedService<TConfig, TContext, TDatabase, TOptions>(
  definition: ServiceDefinition<TConfig, TContext, TDatabase, TOptions>,
  deps: ServiceDeps,
  start: StartOptions<TConfig, TOptions> = {},
): Promise<DefinedService<TContext>> {
  const config = start.config ?? definition.config.load(start.env ?? process.env);
  const { bus, pool, logger, instance } = deps;
  const clock = start.clock ?? (() => new Date());
  const schema = definition.schema(config);
  const registry = createEventRegistry();
  for (const type of definition.eventTypes ?? []) registry.register(type);

  // Metrics first, so the store counts its appends on the service's registry.
  const metrics = createServiceMetrics(definition.name, instance);
  const storeMetrics = eventStoreMetrics(metrics.registry);
  const store = await createEventStore({
    pool, schema, registry, clock, onAppended: storeMetrics.onAppended,
    domain: definition.events.map((domain) => domain.name),
  });
  await migrateService(pool, schema, `${definition.name.replace(/-/g, '_')}_migration`,
    typeof definition.migrations === 'function' ? definition.migrations(schema) : definition.migrations);
  const kit: ServiceKit<TConfig, TDatabase> = {
    name: definition.name, version: definition.version, instance, config, bus, pool, logger, clock,
    newId: start.newId ?? (() => uuidv7()),
    schema, store, registry, metrics,
    db: new Kysely<TDatabase>({ dialect: new PostgresDialect({ pool }) }).withSchema(schema),
  };

  const service = await startService({
    name: definition.name, version: definition.version, instance, bus, logger,
    ...(deps.probePort !== undefined ? { probePort: deps.probePort } : {}),
    checks: { database: async () => (await pool.query('select 1')).rowCount === 1 },
    metrics,
  });
  try {
    const context = await definition.context(kit, start.options);
    const relay = startOutboxRelay({ store, bus, logger, onCounter: storeMetrics.onRelayCounter });
    storeMetrics.watchBacklog(() => outboxBacklog(store));
    // Stopped with the workers, before the bus drains: it publishes on the bus.
    let relayStopped!: () => void;
    const relayClosed = new Promise<void>((resolve) => {
      relayStopped = resolve;
    });
    service.track({ stop: () => relay.stop().finally(relayStopped), closed: relayClosed });
    for (const worker of (await definition.workers?.(context)) ?? []) service.track(worker);
    // The Kysely instance is not destroyed: that would end the caller's pool.
    service.onShutdown({ name: 'event store', stop: () => store.close() });
    // Commands honour an Idempotency-Key; queries need none.
    const idempotency = await createIdempotency(pool, schema, { leaseMs: IDEMPOTENCY_LEASE_MS, clock });
    const ownIdempotency = new Set((definition.ownIdempotency ?? []).map((message) => message.subject));
    const endpoints = [...definition.endpoints(context)].map(([subject, handler]) =>
      [subject, subject.includes('.cmd.') && !ownIdempotency.has(subject) ? idempotency.wrap(subject, handler) : handler] as const);
    await service.handle(Object.fromEntries(endpoints), definition.description);
    logger.info({ schema, version: definition.version, ...(await definition.started?.(context)) }, `${definition.name} started`);
    return Object.assign(service, { name: definition.name, context });
  } catch (error) {
    await service.shutdown('start failed').catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}
