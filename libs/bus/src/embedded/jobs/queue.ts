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
      const queued = new Promise<{ jobId: string; duplicate: boolean }>((resolve, reject) => ctx.enqueues({
        jobId, queue: name, msgId: options.msgId ?? jobId, data, headers: JSON.stringify(headers), resolve, reject,
      }));
      // Failed, the statement may still have committed (its answer lost); its NOTIFY is not passed
      // on to this process (hub.ts), so the workers here are woken either way.
      const result = await queued.catch((error: unknown) => {
        ctx.hub.pulse(`jobs:${name}`).notify();
        throw error;
      });
      if (!result.duplicate) ctx.hub.pulse(`jobs:${name}`).notify();
      return result;
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
