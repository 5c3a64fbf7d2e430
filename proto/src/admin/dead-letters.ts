import { z } from 'zod';

// Dead letters: work-queue jobs that used up their attempts or were terminated. The bus keeps
// each with its body and headers; the event stream only says that it happened
// (`job_dead_lettered`, no body). Admins list them and read one whole.

export const MAX_DEAD_LETTER_PAGE = 200;

const QueueName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a queue name: letters, digits, - and _').describe('Work queue, e.g. steps');
const Iso = z.string().describe('ISO 8601 time');

export const DeadLettersQuery = z.object({
  queue: QueueName.optional().describe('Only this queue\'s letters (default every queue\'s)'),
  limit: z.coerce.number().int().min(1).max(MAX_DEAD_LETTER_PAGE).default(50).describe('Letters per page'),
  cursor: z.string().min(1).max(2_000).optional().describe('`next_cursor` of the previous page'),
});
export type DeadLettersQuery = z.infer<typeof DeadLettersQuery>;

export const DeadLetterParams = z.object({
  queue: QueueName,
  job_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'a job id: letters, digits, _ . : and -').describe('The queue\'s id of the job'),
});

/** A letter in a listing: what the `job_dead_lettered` event says, and when. */
export const DeadLetterEntry = z.object({
  queue: z.string(),
  job_id: z.string(),
  attempts: z.number().int().nonnegative(),
  reason: z.string().describe('Why, bounded and with the job body masked (as in the job_dead_lettered event)'),
  time: Iso.describe('When the job was dead-lettered'),
});
export type DeadLetterEntry = z.infer<typeof DeadLetterEntry>;

export const DeadLetterList = z.object({
  dead_letters: z.array(DeadLetterEntry).describe('Newest first'),
  next_cursor: z.string().optional().describe('Present when more letters follow'),
});
export type DeadLetterList = z.infer<typeof DeadLetterList>;

/** One letter whole: the job's body and headers, and the reason as the worker gave it. */
export const DeadLetterDetail = DeadLetterEntry.extend({
  reason: z.string().describe('Why, as the worker said it, in full'),
  headers: z.record(z.string(), z.string()).describe('The job\'s headers'),
  body_encoding: z.enum(['json', 'base64']).describe('json: `body` is the job\'s JSON value; base64: the body was not JSON'),
  body: z.unknown().describe('The job body'),
});
export type DeadLetterDetail = z.infer<typeof DeadLetterDetail>;
