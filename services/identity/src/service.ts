import { defineService, packageVersion, type ServiceKit } from '@cadre/kit';
import { identityRoutes } from '@cadre/proto';
import { createSecretBox } from '@cadre/runtime';
import type { Worker } from '@cadre/kit';
import { identityConfigShape, loadIdentityConfig, type IdentityConfig } from './config';
import type { IdentityContext } from './context';
import { createTokenSigner } from './crypto/jwt';
import { createPasswordChecker } from './crypto/passwords';
import { identityEndpoints } from './handlers';
import { createCredentialStore } from './storage/credentials';
import { identityMigrations } from './storage/migrations';
import type { IdentityTables } from './storage/tables';
import { createTokenStore } from './storage/tokens';
import { createLoginThrottle } from './throttle/throttle';
import { followIdentityEvents } from './view/follow';
import { createReader } from './view/reader';
import { IdentityView } from './view/view';

/** Options of the identity service beyond its config. */
export interface IdentityServiceOptions {
  /** How often expired sessions leave the view and spent pending tokens their table (default 60 s). */
  readonly sweepIntervalMs?: number;
}

/** The context of identity's handlers, and what its workers need besides. */
interface IdentityRuntime extends IdentityContext {
  readonly kit: ServiceKit<IdentityConfig, IdentityTables>;
  readonly sweepIntervalMs: number;
}

/** Keeps the view free of expired sessions and the pending-token table of spent tokens. */
function startSweeper(ctx: IdentityRuntime): Worker {
  const sweep = setInterval(() => {
    const now = ctx.clock();
    ctx.view.sweep(now);
    ctx.tokens.pruneExpired(now).catch((err: unknown) => ctx.logger.warn({ err }, 'could not prune spent pending tokens'));
  }, ctx.sweepIntervalMs);
  sweep.unref();
  return { stop: async () => clearInterval(sweep), closed: Promise.resolve() };
}

/**
 * Identity: users, sessions, 2FA and API keys. Its events are about users and credentials, so
 * the stream shows them to admins only. The view of its events is rebuilt from the store, then
 * followed on the bus.
 */
export const identityService = defineService({
  name: 'identity',
  description: 'Users, sessions, 2FA and API keys',
  version: packageVersion(__dirname),
  config: { shape: identityConfigShape, load: loadIdentityConfig },
  schema: (config) => config.IDENTITY_SCHEMA,
  events: [{ name: 'identity', visibility: 'admin' }],
  migrations: identityMigrations,
  routes: identityRoutes,
  async context(kit: ServiceKit<IdentityConfig, IdentityTables>, options: IdentityServiceOptions | undefined): Promise<IdentityRuntime> {
    const { config, logger, store, db, clock } = kit;
    const tokens = createTokenStore(db);
    let secret: Uint8Array;
    if (config.JWT_SECRET !== undefined) {
      secret = new TextEncoder().encode(config.JWT_SECRET);
    } else {
      secret = await tokens.signingSecret();
      logger.warn({ schema: kit.schema }, 'JWT_SECRET is not set: access tokens are signed with a key generated once and kept in the database');
    }
    const view = new IdentityView();
    return {
      kit, config, clock, logger, store, view, tokens,
      reader: createReader(view, store),
      newId: kit.newId,
      credentials: createCredentialStore(db, createSecretBox(config.CADRE_SECRET_KEY ?? (await tokens.sealingKey()))),
      throttle: createLoginThrottle(db, {
        account: { maxFailures: config.LOGIN_MAX_FAILURES_PER_ACCOUNT, windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS },
        address: { maxFailures: config.LOGIN_MAX_FAILURES_PER_ADDRESS, windowSeconds: config.LOGIN_THROTTLE_WINDOW_SECONDS },
        pendingToken: { maxFailures: config.LOGIN_MAX_CODES_PER_PENDING_TOKEN, windowSeconds: config.PENDING_2FA_TTL_SECONDS },
      }),
      signer: await createTokenSigner(secret, clock),
      passwords: await createPasswordChecker(),
      sweepIntervalMs: options?.sweepIntervalMs ?? 60_000,
    };
  },
  async workers(ctx) {
    const follower = await followIdentityEvents({ bus: ctx.kit.bus, store: ctx.store, view: ctx.view, reader: ctx.reader, logger: ctx.logger });
    return [follower, startSweeper(ctx)];
  },
  endpoints: (ctx) => Object.entries(identityEndpoints(ctx)),
  started: (ctx) => ({ authEnabled: ctx.config.AUTH_ENABLED, users: ctx.view.users().length }),
});
