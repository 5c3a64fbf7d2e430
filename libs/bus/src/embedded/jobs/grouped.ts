import { groupCommit } from '../../group-commit';
import type { WorkQueue } from '../../types';
import type { Db } from '../db';

/** What an enqueue answers. */
type EnqueueResult = Awaited<ReturnType<WorkQueue['enqueue']>>;

/** An enqueue waiting for its statement (see groupedEnqueues), its data and headers checked. */
export interface PendingEnqueue {
  readonly jobId: string;
  readonly queue: string;
  readonly msgId: string;
  readonly data: Uint8Array;
  /** The headers as stored (JSON text). */
  readonly headers: string;
  resolve(result: EnqueueResult): void;
  reject(error: unknown): void;
}

/** A finished job waiting for its statement (see groupedCompletions). */
export interface PendingCompletion {
  readonly jobId: string;
  resolve(): void;
  reject(error: unknown): void;
}

const bytesOf = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** One enqueue alone: a new job, or the one already queued under its msgId (a duplicate). */
async function enqueueAlone(db: Db, item: PendingEnqueue): Promise<EnqueueResult> {
  const jobs = db.t('jobs');
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await db.prepared<{ job_id: string }>('enqueue',
      `INSERT INTO ${jobs} (job_id, queue, msg_id, data, headers) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (queue, msg_id) DO NOTHING RETURNING job_id`,
      [item.jobId, item.queue, item.msgId, bytesOf(item.data), item.headers]);
    if (inserted.rows[0]) return { jobId: item.jobId, duplicate: false };
    const existing = await db.prepared<{ job_id: string }>('enqueue', `SELECT job_id FROM ${jobs} WHERE queue = $1 AND msg_id = $2`, [item.queue, item.msgId]);
    const found = existing.rows[0];
    if (found) return { jobId: found.job_id, duplicate: true };
    // The duplicate was purged between the two statements: insert again.
  }
  throw new Error('enqueue: could not settle a duplicate');
}

/**
 * The enqueues of one bus, of every queue, several in one INSERT when they come while two are
 * committing (see groupCommit). A job the INSERT did not add (its msgId was queued already, or
 * came twice in the statement) goes on alone, which finds the job that holds its msgId.
 */
export function groupedEnqueues(db: Db): (enqueue: PendingEnqueue) => void {
  const alone = (item: PendingEnqueue): Promise<void> => enqueueAlone(db, item).then(item.resolve, item.reject);
  return groupCommit<PendingEnqueue, boolean>({
    alone,
    async together(items) {
      const { rows } = await db.prepared<{ job_id: string }>('enqueue',
        `INSERT INTO ${db.t('jobs')} (job_id, queue, msg_id, data, headers)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::jsonb[])
         ON CONFLICT (queue, msg_id) DO NOTHING RETURNING job_id`,
        [items.map((i) => i.jobId), items.map((i) => i.queue), items.map((i) => i.msgId), items.map((i) => bytesOf(i.data)), items.map((i) => i.headers)]);
      const added = new Set(rows.map((row) => row.job_id));
      return items.map((item) => added.has(item.jobId));
    },
    settle(item, added) {
      if (added) item.resolve({ jobId: item.jobId, duplicate: false });
      else void alone(item);
    },
  }, { inFlight: 1, maxSize: 256 });
}

/**
 * Jobs marked done, several in one UPDATE when they finish while two are committing. Not
 * fenced by the attempt: the work is done, whoever holds the lease now. Rows are updated in
 * job id order, so two statements never wait on each other's rows in opposite orders.
 */
export function groupedCompletions(db: Db): (completion: PendingCompletion) => void {
  const done = (jobIds: readonly string[]) => db.prepared('ack job',
    `UPDATE ${db.t('jobs')} SET status = 'done', finished_at = now(), data = '\\x'::bytea
      WHERE job_id = ANY($1::text[]) AND status = 'queued'`,
    [[...jobIds].sort()]);
  return groupCommit<PendingCompletion, void>({
    alone: (item) => done([item.jobId]).then(() => item.resolve(), item.reject),
    async together(items) {
      await done(items.map((item) => item.jobId));
      return items.map(() => undefined);
    },
    settle: (item) => item.resolve(),
  }, { inFlight: 1, maxSize: 256 });
}
