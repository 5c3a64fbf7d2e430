import { Kysely, PostgresDialect } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { createEventStore, outboxBacklog, startOutboxRelay } from '@cadre/eventstore';
import { createEventRegistry } from '@cadre/proto';
import { createServiceMetrics, eventStoreMetrics, startService, type Service, type ServiceDeps } from '@cadre/runtime';
import type { IdentityConfig } from './config';
import type { IdentityContext } from './context';
import { createTokenSigner } from './crypto/jwt';
import { createPasswordChecker } from './crypto/passwords';
import { identityEndpoints } from './handlers';
import { createCredentialStore } from './storage/credentials';
import { migrateIdentityTables } from './storage/migrations';
import type { IdentityTables } from './storage/tables';
import { createTokenStore } from './storage/tokens';
import { createLoginThrottle } from './throttle/throttle';
import { followIdentityEvents } from './view/follow';
import { createReader } from './view/reader';
import { IdentityView } from './view/view';

export { loadIdentityConfig, identityConfigShape, type IdentityConfig } from './config';

/** Sources of time and ids; tests pass their own (an expired token is a clock moved on). */
export interface IdentityOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** How often expired sessions leave the view and spent pending tokens their table (default 60 s). */
  readonly sweepIntervalMs?: number;
}

const VERSION = '0.1.0';

/**
 * Starts the identity service: its event store and tables in its own schema, the view of its
 * events (rebuilt from the store, then followed on the bus), the outbox relay, and the
 * handlers of every `identity.*` command and query.
 */
export async function startIdentity(deps: ServiceDeps, config: IdentityConfig, options: IdentityOptions = {}): Promise<Service> {
  const clock = options.clock ?? (() => new Date());
  const logger = deps.logger;
  const schema = config.IDENTITY_SCHEMA;
  // Metrics first, so the store counts its appends on the service's registry.
  const metrics = createServiceMetrics('identity', deps.instance);
  const storeMetrics = eventStoreMetrics(metrics.registry);
  const store = await createEventStore({
    pool: deps.pool, schema, registry: createEventRegistry(), domain: 'identity', clock, onAppended: storeMetrics.onAppended,
  });
  const kysely = new Kysely<IdentityTables>({ dialect: new PostgresDialect({ pool: deps.pool }) });
  await migrateIdentityTables(kysely, schema);
  const db = kysely.withSchema(schema);
  const tokens = createTokenStore(db);

  let secret: Uint8Array;
  if (config.JWT_SECRET !== undefined) {
    secret = new TextEncoder().encode(config.JWT_SECRET);
  } else {
    secret = await tokens.signingSecret();
    logger.warn({ schema }, 'JWT_SECRET is not set: access tokens are signed with a key generated once and kept in the database');
  }

  const view = new IdentityView();
  const reader = createReader(view, store);
  const ctx: IdentityContext = {
    config, clock, logger, store, view, reader, tokens,
    newId: options.newId ?? (() => uuidv7()),
    credentials: createCredentialStore(db),
    throttle: createLoginThrottle(db, {
      account: { maxFailures: config.LOGIN_MAX_FAILURES_PER_ACCOUNT, windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS },
      address: { maxFailures: config.LOGIN_MAX_FAILURES_PER_ADDRESS, windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS },
    }),
    signer: await createTokenSigner(secret, clock),
    passwords: await createPasswordChecker(),
  };

  const follower = await followIdentityEvents({ bus: deps.bus, store, view, reader, logger });
  const relay = startOutboxRelay({ store, bus: deps.bus, logger, onCounter: storeMetrics.onRelayCounter });
  storeMetrics.watchBacklog(() => outboxBacklog(store));
  const service = await startService({
    name: 'identity', version: VERSION, instance: deps.instance, bus: deps.bus, logger,
    ...(deps.probePort !== undefined ? { probePort: deps.probePort } : {}),
    checks: { database: async () => (await deps.pool.query('select 1')).rowCount === 1 },
    metrics,
  });
  // Stopped before the bus drains: the relay publishes on it, the follower reads from it.
  let relayStopped!: () => void;
  const relayClosed = new Promise<void>((resolve) => { relayStopped = resolve; });
  service.track({ stop: () => relay.stop().finally(relayStopped), closed: relayClosed });
  service.track(follower);

  const sweep = setInterval(() => {
    const now = clock();
    view.sweep(now);
    tokens.pruneExpired(now).catch((err: unknown) => logger.warn({ err }, 'could not prune spent pending tokens'));
  }, options.sweepIntervalMs ?? 60_000);
  sweep.unref();
  service.onShutdown(async () => {
    clearInterval(sweep);
    await store.close();
  });

  await service.handle(identityEndpoints(ctx), 'Users, sessions, 2FA and API keys');
  logger.info({ schema, authEnabled: config.AUTH_ENABLED, users: view.users().length }, 'identity started');
  return service;
}
