import type { Bus, DeadLetter } from '@cadre/bus';
import { NotFoundError, type DeadLetterDetail, type DeadLetterList } from '@cadre/proto';
import type { LocalHandler } from '../http/router';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * `GET /v1/admin/dead-letters` and `GET /v1/admin/dead-letters/{queue}/{job_id}`: the letters
 * the bus keeps of jobs that gave up, read from the bus (the gateway holds none itself).
 */
export function deadLetterHandlers(bus: Bus): { readonly listDeadLetters: LocalHandler; readonly getDeadLetter: LocalHandler } {
  return {
    listDeadLetters: async (_req, res, input) => {
      const { queue, limit, cursor } = input.query as { queue?: string; limit: number; cursor?: string };
      const page = await bus.deadLetters({ limit, ...(queue !== undefined ? { queue } : {}), ...(cursor !== undefined ? { cursor } : {}) });
      const reply: DeadLetterList = {
        dead_letters: page.letters.map((l) => ({ queue: l.queue, job_id: l.jobId, attempts: l.attempts, reason: l.reason, time: l.time })),
        ...(page.nextCursor !== undefined ? { next_cursor: page.nextCursor } : {}),
      };
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(reply);
    },
    getDeadLetter: async (_req, res, input) => {
      const { queue, job_id: jobId } = input.params as { queue: string; job_id: string };
      const letter = await bus.workQueue(queue).deadLetter(jobId);
      if (!letter) throw new NotFoundError('dead letter not found', { queue, job_id: jobId });
      res.setHeader('Cache-Control', 'no-store');
      res.status(200).json(detailOf(letter));
    },
  };
}

/** The letter with its body as JSON when it is JSON (UTF-8 text that parses), else base64 as stored. */
export function detailOf(letter: DeadLetter): DeadLetterDetail {
  const common = { queue: letter.queue, job_id: letter.jobId, attempts: letter.attempts, reason: letter.reason, time: letter.time, headers: { ...letter.headers } };
  const bytes = Buffer.from(letter.data, 'base64');
  try {
    return { ...common, body_encoding: 'json', body: JSON.parse(decoder.decode(bytes)) as unknown };
  } catch {
    return { ...common, body_encoding: 'base64', body: letter.data };
  }
}
