import { ValidationError } from '@cadre/proto';
import { decodeJson } from '../../codec';
import { DEAD_LETTER_BUCKET, deadLetterEvent, encodeLetter, letterName, newDeadLetter } from '../../deadletters';
import { withTraceContext } from '../../trace';
import type { Job, JobHandler } from '../../types';
import { writeBlob } from '../blobs';
import type { BusContext } from '../context';
import type { Db } from '../db';
import { storedHeaders } from '../headers';
import { publishEvent } from '../events/publish';
import type { ClaimedJob } from './claim';
import { retryBackoffMs, type WorkerSettings } from './settings';

/**
 * Runs one claimed job: ack on return, retry with backoff on throw, dead letter when attempts run
 * out. Resolves with the delay of the retry it scheduled, if any (the worker wakes for it then).
 */
export async function runJob(ctx: BusContext, queue: string, claimed: ClaimedJob, handler: JobHandler, settings: WorkerSettings): Promise<number | undefined> {
  // The previous attempt crashed, timed out or naked as the last one allowed: it is over.
  if (claimed.previous >= settings.maxAttempts) {
    await deadLetter(ctx, queue, claimed, claimed.previous, 'attempts exhausted');
    return undefined;
  }
  const { db, logger } = ctx;
  const log = { queue, jobId: claimed.jobId, attempt: claimed.attempt };
  let settled = false;
  let retryIn: number | undefined;
  const data = new Uint8Array(claimed.data);
  const headers = storedHeaders(claimed.headers);
  const job: Job = Object.freeze({
    attemptId: claimed.attemptId,
    jobId: claimed.jobId,
    queue,
    attempt: claimed.attempt,
    headers,
    data,
    json: <T>() => decodeJson<T>(data),
    working: async () => {
      if (!settled) await extendLease(db, claimed, settings.ackWaitMs);
    },
    nak: async (delayMs?: number) => {
      if (delayMs !== undefined && (!Number.isFinite(delayMs) || delayMs < 0)) throw new ValidationError('nak delay must be a non-negative number of ms');
      if (settled) return;
      settled = true;
      await retryLater(db, claimed, delayMs ?? 0);
      retryIn = delayMs ?? 0;
    },
    term: async (reason?: string) => {
      if (settled) return;
      settled = true;
      await deadLetter(ctx, queue, claimed, claimed.attempt, reason ?? 'terminated');
    },
  });
  try {
    await withTraceContext(headers, () => handler(job));
    if (settled) return retryIn;
    settled = true;
    await new Promise<void>((resolve, reject) => ctx.completions({ jobId: claimed.jobId, resolve, reject }));
    return undefined;
  } catch (error) {
    if (settled) {
      // A nak'd job is due after its delay; one whose completion failed comes back when its
      // lease ends, which the worker's timer already covers.
      logger.warn({ ...log, err: error }, 'embedded bus: job finished but settling it failed; it may run again');
      return retryIn;
    }
    settled = true;
    logger.warn({ ...log, err: error }, 'embedded bus: job failed');
    if (claimed.attempt >= settings.maxAttempts) {
      await deadLetter(ctx, queue, claimed, claimed.attempt, reasonOf(error));
      return undefined;
    }
    const backoff = retryBackoffMs(claimed.attempt);
    await retryLater(db, claimed, backoff);
    return backoff;
  }
}

function reasonOf(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}

// Retries and heartbeats are fenced by the attempt id: a worker that lost its lease must not
// move the deadline of the worker that holds it now.
async function retryLater(db: Db, claimed: ClaimedJob, delayMs: number): Promise<void> {
  await db.query('retry job',
    `UPDATE ${db.t('jobs')} SET available_at = now() + $3 * interval '1 millisecond'
      WHERE job_id = $1 AND attempt_id = $2 AND status = 'queued'`,
    [claimed.jobId, claimed.attemptId, Math.round(delayMs)]);
}

async function extendLease(db: Db, claimed: ClaimedJob, ackWaitMs: number): Promise<void> {
  await db.query('job working',
    `UPDATE ${db.t('jobs')} SET available_at = now() + $3 * interval '1 millisecond'
      WHERE job_id = $1 AND attempt_id = $2 AND status = 'queued'`,
    [claimed.jobId, claimed.attemptId, ackWaitMs]);
}

/**
 * Marks the job dead, keeps its letter (body, headers, reason) in the dead-letter bucket and
 * appends the `job_dead_lettered` event (no body) in one transaction — the stream and the
 * blobs live in the same database — so a job never disappears without its letter and event,
 * an event never points at a missing letter, and neither is written twice; then tells live
 * listeners on `deadletter.<queue>`. If the database is down the job stays leased and comes
 * back, exhausted, to be dead-lettered again.
 */
async function deadLetter(ctx: BusContext, queue: string, claimed: ClaimedJob, attempts: number, reason: string): Promise<void> {
  const headers = storedHeaders(claimed.headers);
  const letter = newDeadLetter({ queue, jobId: claimed.jobId, attempts, reason, data: claimed.data, headers });
  const event = deadLetterEvent(letter);
  const payload = encodeLetter(letter);
  try {
    const written = await ctx.db.tx('dead-letter job', async (client) => {
      // The body now lives in the letter; the row stays for deduplication until it is purged.
      const { rowCount } = await client.query(
        `UPDATE ${ctx.db.t('jobs')} SET status = 'dead', finished_at = now(), data = '\\x'::bytea
          WHERE job_id = $1 AND attempt_id = $2 AND status = 'queued'`,
        [claimed.jobId, claimed.attemptId]);
      if (!rowCount) return false;
      await writeBlob(ctx.db, client, DEAD_LETTER_BUCKET, letterName(queue, claimed.jobId), payload);
      await publishEvent(ctx.db, event.subject, event.payload, { msgId: event.msgId }, client);
      return true;
    });
    if (!written) return;
  } catch (error) {
    ctx.logger.error({ queue, jobId: claimed.jobId, err: error }, 'embedded bus: dead letter not recorded; job kept');
    return;
  }
  ctx.hub.pulse('events').notify();
  ctx.hub.ephemeral.publish(`deadletter.${queue}`, payload, headers);
  ctx.logger.warn({ queue, jobId: claimed.jobId, attempts, reason }, 'embedded bus: job dead-lettered');
}
