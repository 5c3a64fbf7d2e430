import { assertName, ValidationError } from '@cadre/proto';
import { v7 as uuidv7 } from 'uuid';
import { DEAD_LETTER_BUCKET, readDeadLetter } from '../../deadletters';
import type { WorkQueue } from '../../types';
import { embeddedBlobStore } from '../blobs';
import type { BusContext } from '../context';
import { outgoingHeaders } from '../headers';
import { workerSettings } from './settings';
import { startWorker } from './worker';

/** A work queue in the `jobs` table: claimed with SKIP LOCKED, leased, retried, dead-lettered. */
export function embeddedWorkQueue(ctx: BusContext, name: string): WorkQueue {
  assertName('queue', name);
  const { db } = ctx;
  const jobs = db.t('jobs');
  return {
    name,
    async enqueue(data, options = {}) {
      if (!(data instanceof Uint8Array)) throw new ValidationError('job data must be bytes', { queue: name });
      if (options.msgId !== undefined && (typeof options.msgId !== 'string' || options.msgId.length === 0 || options.msgId.length > 512)) {
        throw new ValidationError('msgId must be a non-empty string of at most 512 characters', { queue: name });
      }
      const headers = outgoingHeaders(options.headers);
      const jobId = uuidv7();
      const msgId = options.msgId ?? jobId;
      for (let attempt = 0; attempt < 3; attempt++) {
        const inserted = await db.query<{ job_id: string }>('enqueue',
          `INSERT INTO ${jobs} (job_id, queue, msg_id, data, headers) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (queue, msg_id) DO NOTHING RETURNING job_id`,
          [jobId, name, msgId, Buffer.from(data.buffer, data.byteOffset, data.byteLength), JSON.stringify(headers)]);
        if (inserted.rows[0]) {
          ctx.hub.pulse(`jobs:${name}`).notify();
          return { jobId, duplicate: false };
        }
        const existing = await db.query<{ job_id: string }>('enqueue', `SELECT job_id FROM ${jobs} WHERE queue = $1 AND msg_id = $2`, [name, msgId]);
        const found = existing.rows[0];
        if (found) return { jobId: found.job_id, duplicate: true };
        // The duplicate was purged between the two statements: insert again.
      }
      throw new Error('enqueue: could not settle a duplicate');
    },
    async process(handler, options) {
      ctx.assertAccepting('process');
      if (typeof handler !== 'function') throw new ValidationError('a job handler is required');
      return startWorker(ctx, name, handler, workerSettings(options));
    },
    async depth() {
      const { rows } = await db.query<{ n: number }>('depth', `SELECT count(*)::int AS n FROM ${jobs} WHERE queue = $1 AND status = 'queued'`, [name]);
      return rows[0]?.n ?? 0;
    },
    deadLetter(jobId) {
      return readDeadLetter(embeddedBlobStore(ctx, DEAD_LETTER_BUCKET), name, jobId);
    },
  };
}
