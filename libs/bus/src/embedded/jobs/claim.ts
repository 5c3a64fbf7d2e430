import type { Db } from '../db';
import type { WorkerSettings } from './settings';

/** A job as claimed: `attempt` counts this delivery; `previous` is what was made before it. */
export interface ClaimedJob {
  readonly jobId: string;
  readonly attemptId: string;
  readonly attempt: number;
  readonly previous: number;
  readonly data: Buffer;
  readonly headers: unknown;
}

interface JobRow {
  readonly job_id: string;
  readonly attempt_id: string;
  readonly attempts: number;
  readonly previous: number;
  readonly data: Buffer;
  readonly headers: unknown;
}

/**
 * Leases up to `limit` ready jobs to this worker. SKIP LOCKED lets workers of every process
 * claim side by side without waiting on each other's rows. The lease is `available_at`: until
 * it passes nobody else claims the job, and when the worker crashes it simply passes, so the
 * job is claimed again. The attempt is counted at claim time, in the same statement, so
 * attempts survive crashes; a job that already used up its attempts is not counted again and
 * comes back with `previous >= maxAttempts` for the caller to dead-letter.
 */
export async function claimJobs(db: Db, queue: string, limit: number, settings: WorkerSettings): Promise<ClaimedJob[]> {
  const jobs = db.t('jobs');
  const { rows } = await db.prepared<JobRow>('claim jobs',
    `UPDATE ${jobs} j
        SET attempts = CASE WHEN c.attempts >= $3 THEN c.attempts ELSE c.attempts + 1 END,
            attempt_id = gen_random_uuid()::text,
            available_at = now() + $4 * interval '1 millisecond'
       FROM (SELECT job_id, attempts FROM ${jobs}
              WHERE queue = $1 AND status = 'queued' AND available_at <= now()
              ORDER BY available_at, job_id LIMIT $2 FOR UPDATE SKIP LOCKED) c
      WHERE j.job_id = c.job_id
      RETURNING j.job_id, j.attempt_id, j.attempts, c.attempts AS previous, j.data, j.headers`,
    [queue, limit, settings.maxAttempts, settings.ackWaitMs]);
  return rows.map((r) => ({ jobId: r.job_id, attemptId: r.attempt_id, attempt: r.attempts, previous: r.previous, data: r.data, headers: r.headers }));
}

/** Milliseconds until the next queued job is due (a delayed retry, a lapsing lease), if any. */
export async function nextDueMs(db: Db, queue: string): Promise<number | undefined> {
  const due = await db.prepared<{ ms: number | null }>('claim jobs',
    `SELECT (extract(epoch FROM min(available_at) - now()) * 1000)::float8 AS ms FROM ${db.t('jobs')} WHERE queue = $1 AND status = 'queued'`,
    [queue]);
  const ms = due.rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, ms);
}

/** Removes finished jobs once they are past the deduplication window (2 min, as NATS's default). */
export async function purgeFinished(db: Db, queue: string): Promise<void> {
  await db.query('purge jobs',
    `DELETE FROM ${db.t('jobs')} WHERE queue = $1 AND status <> 'queued' AND finished_at < now() - interval '2 minutes'`, [queue]);
}
