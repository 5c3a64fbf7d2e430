import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  adminRoutes, allRoutes, authenticate, createEventRegistry, gatewayRoutes, identityMessages, type MessageDefinition, type RouteDefinition, type Visibility,
} from '@cadre/proto';
import { startService, type Service, type ServiceDeps } from '@cadre/runtime';
import { startAdmin } from './admin';
import { createApp } from './app';
import { findDashboard } from './dashboard/static';
import { createAuthenticator } from './auth/authenticator';
import { applyCredentialChange } from './auth/revocations';
import type { GatewayConfig } from './config';
import { buildAsyncApi } from './docs/asyncapi';
import { buildOpenApi } from './docs/openapi';
import { answerClientErrors } from './http/client-errors';
import { createGatewayMetrics } from './http/metrics';
import type { LocalHandler } from './http/router';
import { createLiveFeed } from './sse/feed';
import { createHub, type HubStats } from './sse/hub';
import { eventStreamHandler } from './sse/route';
import { statusHandlers } from './status/handlers';
import { createProbes } from './status/probes';

export { gatewayConfigShape, loadGatewayConfig, type GatewayConfig } from './config';
export type { LocalHandler } from './http/router';
export type { ValidatedInput } from './http/validate';
export { state as requestState, type RequestState } from './http/state';
export { sseFrame } from './sse/message';
export { buildOpenApi } from './docs/openapi';
export { buildAsyncApi } from './docs/asyncapi';

export interface Gateway {
  readonly service: Service;
  readonly server: Server;
  readonly port: number;
  /** `http://host:port` as the gateway listens. */
  readonly url: string;
  /** SSE clients now, still replaying, and dropped for not reading. */
  sseStats(): HubStats;
  /** operationIds of routes the gateway answers itself but was given no handler for (they answer 503). */
  readonly unhandled: readonly string[];
}

export interface GatewayOptions {
  /**
   * The domain services behind the gateway (from the registry): their routes are mounted
   * between the gateway's own and the admin routes, and their event domains' visibility rules
   * the stream. Without it, `routes` (default every route of Cadre) and admin-only events.
   */
  readonly services?: {
    readonly routes: readonly RouteDefinition[];
    readonly visibility: Readonly<Record<string, Visibility>>;
  };
  /** The route table when no `services` are given (default every route of Cadre). */
  readonly routes?: readonly RouteDefinition[];
  /**
   * Handlers, by operationId, of routes without a NATS message that the gateway does not answer
   * on its own (e.g. the admin routes). They run after access checks and validation.
   */
  readonly handlers?: Readonly<Record<string, LocalHandler>>;
}

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
const SHUTDOWN_GRACE_MS = 10_000;

function uniqueMessages(routes: readonly RouteDefinition[]): MessageDefinition[] {
  const bySubject = new Map<string, MessageDefinition>();
  for (const message of [authenticate, ...identityMessages]) bySubject.set(message.subject, message);
  for (const route of routes) if (route.message) bySubject.set(route.message.subject, route.message);
  return [...bySubject.values()];
}

/**
 * Starts the gateway: the service skeleton (probes, metrics, shutdown), the shared live feed
 * of the event stream, and the HTTP server on PORT. Shutdown closes the streams and stops
 * taking requests first, lets those in flight finish, then the bus drains.
 */
export async function startGateway(deps: ServiceDeps, config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const routes = options.services ? [...gatewayRoutes, ...options.services.routes, ...adminRoutes] : options.routes ?? allRoutes;
  const visibility = options.services?.visibility ?? {};
  const { bus } = deps;
  const service = await startService({
    name: 'gateway', version: VERSION, instance: deps.instance, bus, logger: deps.logger, probePort: deps.probePort,
  });
  const logger = service.logger;
  const metrics = createGatewayMetrics(service.metrics.registry);
  const authenticator = createAuthenticator({ bus, ttlMs: config.AUTH_CACHE_TTL_MS, max: config.AUTH_CACHE_MAX, timeoutMs: config.BUS_TIMEOUT_MS });

  const hub = createHub({
    events: bus.events, head: () => feed.head(), heartbeatMs: config.SSE_HEARTBEAT_MS, bufferLimit: config.SSE_CLIENT_BUFFER,
    stallTimeoutMs: config.SSE_STALL_TIMEOUT_MS, flushMs: config.SSE_FLUSH_MS, maxClients: config.SSE_MAX_CLIENTS,
    maxClientsPerUser: config.SSE_MAX_CLIENTS_PER_USER, adminReserve: Math.min(config.SSE_ADMIN_RESERVE, config.SSE_MAX_CLIENTS - 1), metrics,
  });
  const feed = createLiveFeed(bus.events, logger.child({ component: 'sse-feed' }), (message) => {
    applyCredentialChange(message, authenticator, hub, logger);
    hub.dispatch(message);
  });
  await feed.start();

  const openApiCache = new Map<string, Record<string, unknown>>();
  const asyncApiCache = new Map<string, Record<string, unknown>>();
  const cached = (cache: Map<string, Record<string, unknown>>, key: string, build: () => Record<string, unknown>) => {
    let doc = cache.get(key);
    if (!doc) {
      if (cache.size >= 16) cache.clear();
      doc = build();
      cache.set(key, doc);
    }
    return doc;
  };
  const admin = startAdmin({ bus, timeoutMs: config.BUS_TIMEOUT_MS, heartbeatMs: config.SSE_HEARTBEAT_MS, bufferLimit: config.SSE_CLIENT_BUFFER });
  service.track(admin.subscription);
  const events = createEventRegistry().all();
  const messages = uniqueMessages(routes);
  const local = {
    ...statusHandlers({
      bus, probes: createProbes(bus, deps.pool), hub, liveSeq: feed.head, metrics, version: VERSION, instance: deps.instance,
      startedAt: Date.now(),
      ...(config.PUBLIC_URL !== undefined ? { publicUrl: config.PUBLIC_URL.replace(/\/+$/, '') } : {}),
      openApi: (serverUrl) => cached(openApiCache, serverUrl, () => buildOpenApi(routes, { version: VERSION, serverUrl })),
      asyncApi: (host) => cached(asyncApiCache, host, () => buildAsyncApi(events, messages, { version: VERSION, gatewayHost: host })),
    }),
    streamEvents: eventStreamHandler(hub, visibility),
    ...admin.handlers,
    ...options.handlers,
  };
  const unhandled: string[] = [];
  const dashboardDir = config.DASHBOARD_ENABLED ? findDashboard(config.DASHBOARD_DIR) : null;
  if (dashboardDir === undefined) logger.warn({ configured: config.DASHBOARD_DIR }, 'dashboard not built: / explains how (npm run build -w @cadre/dashboard)');
  const app = createApp({
    config, routes, local, bus, authenticator, logger, metrics, dashboardDir,
    onUnhandled: (route) => {
      unhandled.push(route.operationId);
      logger.warn({ operationId: route.operationId, path: route.path }, 'route has no handler in this deployment; it answers 503');
    },
  });

  const server = createServer(app);
  // Bounded waits for slow or idle senders; streams are responses, so these do not cut them.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  logger.info({ port, authEnabled: config.AUTH_ENABLED, routes: routes.length }, 'gateway listening');

  // Tracked as a subscription so the runtime stops it first, before the bus drains.
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let stopping: Promise<void> | undefined;
  service.track({
    closed,
    stop: () => (stopping ??= (async () => {
      hub.close();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await done;
      clearTimeout(force);
      await feed.stop();
      resolveClosed();
    })()),
  });

  return { service, server, port, url: `http://${host}:${port}`, sseStats: () => hub.stats(), unhandled };
}
