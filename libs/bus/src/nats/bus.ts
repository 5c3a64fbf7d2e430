import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ValidationError } from '@cadre/proto';
import type { BlobStore, Bus, ServiceHandle, Subscription, WorkQueue } from '../types';
import { DEAD_LETTER_BUCKET, listDeadLetters } from '../deadletters';
import { openBlobStore } from './blobs';
import { openConnection } from './connection';
import { natsEphemeral } from './ephemeral';
import { mapNatsError } from './errors';
import { natsEventStream } from './events';
import type { BusLogger } from '../logger';
import { silentLogger } from '../logger';
import { sendRequest, serveService } from './services';
import { JETSTREAM_TIMEOUT_MS } from './stream-publish';
import { ensureStreams } from './streams';
import { natsWorkQueue } from './work-queue';

/** How to reach NATS and how the bus's streams are named. */
export interface NatsBusOptions {
  readonly servers: string | string[];
  /** Connection name, as the server's monitoring shows it. */
  readonly name?: string;
  /** The event stream (default `EVENTS`, subjects `evt.>`). */
  readonly streamName?: string;
  /** The work-queue stream (default `JOBS`, subjects `jobs.>`). */
  readonly jobsStreamName?: string;
  /** How long a publish id is remembered for deduplication (default 2 min). */
  readonly duplicateWindowMs?: number;
  /** How long the first connection may take before an UnavailableError (default 5 s). */
  readonly connectTimeoutMs?: number;
  readonly logger?: BusLogger;
}

/**
 * Connects a bus to NATS with JetStream: creates or updates its streams, then reconnects
 * forever. Rejects with an UnavailableError when NATS cannot be reached in time.
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<Bus> {
  const logger = options.logger ?? silentLogger;
  const duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
  if (!(duplicateWindowMs > 0)) throw new ValidationError('duplicateWindowMs must be positive');
  const names = { events: options.streamName ?? 'EVENTS', jobs: options.jobsStreamName ?? 'JOBS' };
  const conn = await openConnection({
    servers: options.servers,
    ...(options.name !== undefined ? { name: options.name } : {}),
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    logger,
  });
  const js = jetstream(conn.nc, { timeout: JETSTREAM_TIMEOUT_MS });
  let jsm;
  try {
    jsm = await jetstreamManager(conn.nc, { timeout: JETSTREAM_TIMEOUT_MS });
    await ensureStreams(jsm, names, duplicateWindowMs);
  } catch (error) {
    await conn.nc.close().catch(() => undefined);
    throw mapNatsError(error, 'JetStream setup');
  }

  const services = new Set<ServiceHandle>();
  const subscriptions = new Set<Subscription>();
  const track = (subscription: Subscription): Subscription => {
    subscriptions.add(subscription);
    void subscription.closed.then(() => subscriptions.delete(subscription));
    return subscription;
  };
  const workQueues = new Map<string, WorkQueue>();
  const blobStores = new Map<string, Promise<BlobStore>>();
  const blobs = (bucket: string): Promise<BlobStore> => {
    let store = blobStores.get(bucket);
    if (!store) {
      store = openBlobStore(conn, js, bucket);
      blobStores.set(bucket, store);
      // A failed open (bad name, bus down) is not cached.
      store.catch(() => blobStores.delete(bucket));
    }
    return store;
  };
  let draining: Promise<void> | undefined;

  return {
    transport: 'nats',
    async serve(definition) {
      const handle = await serveService(conn, definition, logger);
      services.add(handle);
      return {
        name: handle.name,
        stop: async () => {
          await handle.stop();
          services.delete(handle);
        },
      };
    },
    request: (subject, payload, requestOptions) => sendRequest(conn, subject, payload, requestOptions),
    events: natsEventStream({ conn, js, jsm, stream: names.events, logger, track }),
    workQueue(name) {
      let queue = workQueues.get(name);
      if (!queue) {
        queue = natsWorkQueue({ conn, js, jsm, jobsStream: names.jobs, logger, track, blobs }, name);
        workQueues.set(name, queue);
      }
      return queue;
    },
    deadLetters: async (listOptions) => listDeadLetters(await blobs(DEAD_LETTER_BUCKET), listOptions),
    blobs,
    ephemeral: natsEphemeral(conn, logger, track),
    isHealthy: () => conn.isConnected(),
    drain() {
      draining ??= (async () => {
        // Services answer what they hold, consumers finish their handlers, then the link closes.
        await Promise.allSettled([...services].map((s) => s.stop()));
        await Promise.allSettled([...subscriptions].map((s) => s.stop()));
        if (!conn.nc.isClosed()) await conn.nc.drain().catch(() => conn.nc.close());
      })();
      return draining;
    },
  };
}
