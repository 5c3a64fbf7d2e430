import type { ClientConfig, Pool } from 'pg';
import { UnavailableError, ValidationError } from '@cadre/proto';
import type { BlobStore, Bus, ServiceHandle, Subscription, WorkQueue } from '../types';
import { DEAD_LETTER_BUCKET, listDeadLetters } from '../deadletters';
import { embeddedBlobStore } from './blobs';
import type { BusContext } from './context';
import { openDb } from './db';
import { ephemeralFor } from './ephemeral';
import { embeddedEventStream } from './events/stream';
import { acquireHub, hubKey, releaseHub } from './hub';
import { embeddedWorkQueue } from './jobs/queue';
import { silentLogger, type BusLogger } from '../logger';
import { sendRequest, serveService } from './rpc';
import { migrate } from './schema';
import { groupedRemovals } from './events/acks';
import { groupedPublishes } from './events/publish';
import { groupedCompletions, groupedEnqueues } from './jobs/grouped';

/** Where the embedded bus keeps its durable parts. */
export interface EmbeddedBusOptions {
  /** Postgres to use (a pool is opened and closed by the bus). */
  readonly databaseUrl?: string;
  /** Or a pool the caller owns (left open by drain). */
  readonly pool?: Pool;
  /** Schema of the bus tables (default `cadre_bus`). */
  readonly schema?: string;
  readonly logger?: BusLogger;
  /** Safety poll of consumers and workers, for wake-ups from other processes that got lost (default 2 s). */
  readonly pollIntervalMs?: number;
}

const LISTENER_READY_MS = 5_000;

/**
 * The in-process bus of embedded mode. Request/reply and ephemeral pub/sub stay in the process
 * (shared by every bus on the same database + schema); events, consumer positions, jobs and
 * blobs live in Postgres, so a restart loses nothing. Rejects with UnavailableError when the
 * database cannot be reached.
 */
export async function createEmbeddedBus(options: EmbeddedBusOptions): Promise<Bus> {
  const logger = options.logger ?? silentLogger;
  const schema = options.schema ?? 'cadre_bus';
  const pollMs = options.pollIntervalMs ?? 2_000;
  if (!Number.isFinite(pollMs) || pollMs < 10) throw new ValidationError('pollIntervalMs must be at least 10');
  const db = openDb({ databaseUrl: options.databaseUrl, pool: options.pool, schema, logger });
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const clientConfig: ClientConfig = options.databaseUrl ? { connectionString: options.databaseUrl } : { ...(options.pool?.options ?? {}) };
  const hub = acquireHub({ key: hubKey(schema, options.databaseUrl, options.pool), channel: db.channel, clientConfig, logger });
  const unsubscribeUp = hub.pulse('connected').subscribe(() => db.markUp());
  const disownConnections = hub.ownConnections(db.pool);
  await Promise.race([hub.listener.ready, new Promise((resolve) => setTimeout(resolve, LISTENER_READY_MS).unref())]);

  let state: 'open' | 'draining' | 'closed' = 'open';
  const services = new Set<ServiceHandle>();
  const subscriptions = new Set<Subscription>();
  const ctx: BusContext = {
    db,
    hub,
    logger,
    pollMs,
    assertAccepting: (what) => {
      if (state !== 'open') throw new UnavailableError(`${what}: bus is ${state === 'draining' ? 'draining' : 'closed'}`);
    },
    track: (subscription) => {
      subscriptions.add(subscription);
      return () => subscriptions.delete(subscription);
    },
    publishes: groupedPublishes(db),
    removals: groupedRemovals(db),
    enqueues: groupedEnqueues(db),
    completions: groupedCompletions(db),
  };
  const workQueues = new Map<string, WorkQueue>();
  const blobStores = new Map<string, BlobStore>();
  let draining: Promise<void> | undefined;

  return {
    transport: 'embedded',
    async serve(definition) {
      ctx.assertAccepting('serve');
      const handle = serveService(hub.rpc, definition, logger);
      services.add(handle);
      return {
        name: handle.name,
        stop: async () => {
          await handle.stop();
          services.delete(handle);
        },
      };
    },
    async request(subject, payload, requestOptions) {
      // Handlers in flight may still ask others while their bus drains.
      if (state === 'closed') throw new UnavailableError('request: bus is closed');
      return sendRequest(hub.rpc, subject, payload, requestOptions);
    },
    events: embeddedEventStream(ctx),
    workQueue(name) {
      let queue = workQueues.get(name);
      if (!queue) workQueues.set(name, (queue = embeddedWorkQueue(ctx, name)));
      return queue;
    },
    async deadLetters(listOptions) {
      return listDeadLetters(embeddedBlobStore(ctx, DEAD_LETTER_BUCKET), listOptions);
    },
    async blobs(bucket) {
      let store = blobStores.get(bucket);
      if (!store) blobStores.set(bucket, (store = embeddedBlobStore(ctx, bucket)));
      return store;
    },
    ephemeral: ephemeralFor(hub.ephemeral, () => state !== 'closed', ctx.assertAccepting, ctx.track),
    isHealthy: () => state === 'open' && db.healthy() && hub.listener.connected,
    drain() {
      draining ??= (async () => {
        state = 'draining';
        // Services answer what they hold, consumers and workers finish their handlers (which
        // may still ack through the pool), then the pool and the hub are released.
        await Promise.allSettled([...services].map((s) => s.stop()));
        await Promise.allSettled([...subscriptions].map((s) => s.stop()));
        state = 'closed';
        unsubscribeUp();
        disownConnections();
        await releaseHub(hub);
        await db.close();
      })();
      return draining;
    },
  };
}
