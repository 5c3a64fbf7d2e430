import { AckPolicy, DeliverPolicy, type ConsumerConfig, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { assertName, ValidationError } from '@cadre/proto';
import { decodeJson } from '../codec';
import { DEAD_LETTER_BUCKET, deadLetterEvent, encodeLetter, keepLetter, newDeadLetter, readDeadLetter } from '../deadletters';
import { injectTraceContext, withTraceContext } from '../trace';
import type { BlobStore, DeadLetter, Job, JobHandler, Subscription, WorkQueue, WorkerOptions } from '../types';
import type { Connection } from './connection';
import { ensureDurable } from './consumers';
import { isNotFound, mapNatsError } from './errors';
import { publishDeduplicated } from './events';
import { fromNatsHeaders, toNatsHeaders } from './headers';
import { inFlight, type InFlight } from './inflight';
import { backoffMs } from '../timing';
import type { BusLogger } from '../logger';
import { resilientLoop, type Session } from './loop';
import { JOBS_PREFIX } from './streams';
import { confirmAck, publishToStream } from './stream-publish';

/** What a work queue needs from the bus. */
export interface WorkQueueDeps {
  readonly conn: Connection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly jobsStream: string;
  readonly logger: BusLogger;
  readonly track: (subscription: Subscription) => Subscription;
  /** The bus's blob buckets (dead letters are kept in one). */
  readonly blobs: (bucket: string) => Promise<BlobStore>;
}

const WORKER_DEFAULTS = { ackWaitMs: 30_000, maxAttempts: 5, concurrency: 1 } as const;
// Short for the reasons given for event consumers (events.ts): a fetch outstanding at a stopped
// worker or across a server restart holds up work until it expires.
const FETCH_EXPIRES_MS = 2_000;

/** A JetStream work queue: jobs on `jobs.<name>` in the work-queue stream, one durable consumer shared by workers. */
export function natsWorkQueue(deps: WorkQueueDeps, name: string): WorkQueue {
  assertName('queue', name);
  const subject = `${JOBS_PREFIX}.${name}`;
  const durable = `wq_${name}`;
  const { conn, jsm, logger } = deps;

  return {
    name,
    async enqueue(data, options = {}) {
      if (!(data instanceof Uint8Array)) throw new ValidationError('job data must be bytes', { queue: name });
      if (options.msgId !== undefined && (typeof options.msgId !== 'string' || options.msgId.length === 0)) {
        throw new ValidationError('msgId must be a non-empty string', { queue: name });
      }
      const headers = toNatsHeaders(injectTraceContext(options.headers));
      const what = `enqueue ${name}`;
      conn.assertConnected(what);
      try {
        const ack = await conn.guard(publishToStream(conn, subject, data, { what, ...(headers !== undefined ? { headers } : {}), ...(options.msgId ? { msgId: options.msgId } : {}) }), what);
        return { jobId: String(ack.seq), duplicate: ack.duplicate };
      } catch (error) {
        throw mapNatsError(error, what);
      }
    },

    async process(handler, options = {}) {
      const settings = workerSettings(options);
      const config: Partial<ConsumerConfig> = {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
        ack_wait: nanos(settings.ackWaitMs),
        // Attempts are counted here, not by the server: a job that runs out of deliveries on
        // the server would vanish without its dead letter.
        max_deliver: -1,
        max_ack_pending: -1,
      };
      conn.assertConnected(`process ${name}`);
      try {
        await ensureDurable(jsm, deps.jobsStream, config, logger);
      } catch (error) {
        throw mapNatsError(error, `worker ${name}`);
      }
      const running = inFlight();
      const run = (msg: JsMsg): Promise<void> => runJob(deps, name, settings.maxAttempts, msg, handler);
      return deps.track(
        resilientLoop({
          what: `worker ${name}`,
          logger,
          finished: () => conn.nc.isClosed(),
          retryNow: (listener) => conn.onReconnect(listener),
          session: (session) => workerSession(deps, session, durable, settings.concurrency, running, run, () => ensureDurable(jsm, deps.jobsStream, config, logger)),
          afterStop: () => running.idle(),
        }),
      );
    },

    async depth() {
      conn.assertConnected(`depth ${name}`);
      try {
        const info = await conn.guard(jsm.streams.info(deps.jobsStream, { subjects_filter: subject }), `depth ${name}`);
        return info.state.subjects?.[subject] ?? 0;
      } catch (error) {
        throw mapNatsError(error, `depth ${name}`);
      }
    },

    async deadLetter(jobId) {
      return readDeadLetter(await deps.blobs(DEAD_LETTER_BUCKET), name, jobId);
    },
  };
}

function workerSettings(options: WorkerOptions): Required<WorkerOptions> {
  const settings = { ...WORKER_DEFAULTS, ...dropUndefined(options) };
  for (const [key, value] of Object.entries(settings)) {
    if (!(Number.isFinite(value) && value > 0)) throw new ValidationError(`${key} must be positive`, { [key]: value });
  }
  if (!Number.isInteger(settings.maxAttempts) || !Number.isInteger(settings.concurrency)) {
    throw new ValidationError('maxAttempts and concurrency must be integers');
  }
  return settings;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Fetches no more jobs than there are free slots, so no job waits in a buffer while its ack clock runs. */
async function workerSession(
  deps: WorkQueueDeps,
  session: Session,
  durable: string,
  concurrency: number,
  running: InFlight,
  run: (msg: JsMsg) => Promise<void>,
  recreate: () => Promise<unknown>,
): Promise<void> {
  let consumer;
  try {
    // Guarded: a lookup sent while disconnected would be dropped and wait out its timeout.
    consumer = await deps.conn.guard(deps.js.consumers.get(deps.jobsStream, durable), `worker ${durable}`);
  } catch (error) {
    if (isNotFound(error)) await recreate();
    throw error;
  }
  while (!session.signal.aborted) {
    while (running.size >= concurrency && !session.signal.aborted) await running.settled();
    if (session.signal.aborted) return;
    const batch = await consumer.fetch({ max_messages: concurrency - running.size, expires: FETCH_EXPIRES_MS });
    const off = session.onStop(() => batch.stop());
    // A fetch sent before a reconnect is unknown to the server now (it may have restarted): fetch again at once.
    const offReconnect = deps.conn.onReconnect(() => batch.stop());
    // The server ends a fetch at `expires`; this bounds it should that answer be lost.
    const watchdog = setTimeout(() => batch.stop(), FETCH_EXPIRES_MS + 5_000);
    try {
      for await (const msg of batch) {
        if (session.signal.aborted) deps.conn.whenConnected(() => msg.nak());
        else void running.run(() => run(msg));
      }
    } finally {
      clearTimeout(watchdog);
      off();
      offReconnect();
    }
  }
}

async function runJob(deps: WorkQueueDeps, queue: string, maxAttempts: number, msg: JsMsg, handler: JobHandler): Promise<void> {
  const attempt = msg.info.deliveryCount;
  const jobId = String(msg.seq);
  const log = { queue, jobId, attempt };
  // The last attempt crashed or timed out (or was naked): it is over, whoever ran it.
  if (attempt > maxAttempts) return deadLetter(deps, queue, msg, attempt - 1, 'attempts exhausted');

  let settled = false;
  const headers = fromNatsHeaders(msg.headers);
  const job: Job = {
    attemptId: `${jobId}:${attempt}`,
    jobId,
    queue,
    attempt,
    headers,
    data: msg.data,
    json: <T>() => decodeJson<T>(msg.data),
    working: async () => {
      if (!settled) deps.conn.whenConnected(() => msg.working());
    },
    nak: async (delayMs) => {
      if (settled) return;
      settled = true;
      deps.conn.whenConnected(() => msg.nak(delayMs !== undefined && delayMs > 0 ? delayMs : undefined));
    },
    term: async (reason) => {
      if (settled) return;
      settled = true;
      await deadLetter(deps, queue, msg, attempt, reason ?? 'terminated');
    },
  };
  try {
    await withTraceContext(headers, () => handler(job));
    if (settled) return;
    settled = true;
    await confirmAck(deps.conn, msg, `ack job ${msg.seq} of ${queue}`);
  } catch (error) {
    if (settled) {
      deps.logger.warn({ ...log, err: error }, 'job finished but its ack failed; acked again once connected');
      // Done is done: a plain ack after an outage keeps it from running again after the ack wait.
      deps.conn.whenConnected(() => msg.ack());
      return;
    }
    settled = true;
    deps.logger.warn({ ...log, err: error }, 'job failed');
    if (attempt >= maxAttempts) await deadLetter(deps, queue, msg, attempt, reasonOf(error));
    else deps.conn.whenConnected(() => msg.nak(backoffMs(attempt - 1, 250, 60_000)));
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Records the job as dead, then removes it: the letter (body, headers, reason) is kept in the
 * dead-letter bucket first, so the event never points at a missing letter; then the
 * `job_dead_lettered` event (no body), once per job; then the live notice with the letter.
 */
async function deadLetter(deps: WorkQueueDeps, queue: string, msg: JsMsg, attempts: number, reason: string): Promise<void> {
  const jobId = String(msg.seq);
  let letter: DeadLetter;
  try {
    const given = newDeadLetter({ queue, jobId, attempts, reason, data: msg.data, headers: fromNatsHeaders(msg.headers) });
    letter = await keepLetter(await deps.blobs(DEAD_LETTER_BUCKET), given);
    const event = deadLetterEvent(letter);
    await publishDeduplicated(deps, event.subject, event.payload, { msgId: event.msgId });
  } catch (error) {
    // Without its dead letter the job must not disappear: it comes back and we try again.
    deps.logger.error({ queue, jobId, err: error }, 'dead letter not recorded; job kept');
    deps.conn.whenConnected(() => msg.nak(1_000));
    return;
  }
  if (!deps.conn.nc.isClosed()) deps.conn.nc.publish(`deadletter.${queue}`, encodeLetter(letter));
  // Ack, not term: nats-server 2.9 keeps a termed message in a work-queue stream for good
  // (depth would count it). The dead letter holds the job now; the queue is done with it.
  try {
    await confirmAck(deps.conn, msg, `ack job ${jobId} of ${queue}`);
  } catch (error) {
    // It comes back, finds its attempts used up, and is dead-lettered again (its letter kept, the same msgId: no duplicate event).
    deps.logger.warn({ queue, jobId, err: error }, 'ack of a dead-lettered job failed');
  }
  deps.logger.warn({ queue, jobId, attempts: letter.attempts, reason: letter.reason }, 'job dead-lettered');
}
