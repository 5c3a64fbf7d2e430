import { describe, expect, it } from '@jest/globals';
import { EventEnvelope } from '@cadre/proto';
import type { DeadLetterSummary } from '../types';
import { watchDeadLetters } from './dead-letter-watch';
import type { ContractContext } from './helpers';
import { bytes, rejection, sleep, unique, until } from './helpers';

/** Dead letters kept for admins: listed newest first a page at a time, read one by one; the event's reason bounded. */
export function registerDeadLetters(ctx: ContractContext): void {
  describe('dead letters', () => {
    it('bounds the reason on the event and masks the job body in it; the letter keeps the reason whole', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      const dead = await watchDeadLetters(ctx, queue.name);
      const prompt = 'You are a reviewer. The launch code is in the attached notes.';
      const { jobId } = await queue.enqueue(bytes({ run_id: 'run-42', prompt }));
      const said = (text: string) => `cannot use ${text} for run-42 (prompt "${prompt}") ${'y'.repeat(5_000)}`;
      const worker = await ctx.b().workQueue(queue.name).process(async (job) => {
        throw new Error(said(new TextDecoder().decode(job.data)));
      }, { maxAttempts: 1 });
      try {
        await until('the dead letter event', () => dead.events.length === 1);
        const { reason } = EventEnvelope.parse(dead.events[0]!.json()).data as { reason: string };
        expect(reason.length).toBeLessThanOrEqual(2_000);
        expect(reason.startsWith('cannot use [job body] for run-42 (prompt "[job body]") yyy')).toBe(true);
        expect(reason).not.toContain('launch code');
        const letter = await ctx.c().workQueue(queue.name).deadLetter(jobId);
        expect(letter?.reason).toBe(said(JSON.stringify({ run_id: 'run-42', prompt })));
        const listed = await ctx.c().deadLetters({ queue: queue.name });
        expect(listed.letters.map((l) => l.reason)).toEqual([reason]);
      } finally {
        await Promise.all([worker.stop(), dead.stop()]);
      }
    });

    it('lists letters newest first, a page at a time, by queue or all of them, without bodies', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      const other = ctx.a().workQueue(unique('wq'));
      const dead = await watchDeadLetters(ctx, queue.name);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await queue.enqueue(bytes({ i }))).jobId);
      const { jobId: otherId } = await other.enqueue(bytes('elsewhere'));
      const handler = async (job: { term(reason: string): Promise<void>; attempt: number }) => job.term(`given up on attempt ${job.attempt}`);
      const workers = [await ctx.b().workQueue(queue.name).process(handler), await ctx.b().workQueue(other.name).process(handler)];
      try {
        await until('three dead letters', () => dead.events.length === 3);
        const first = await ctx.c().deadLetters({ queue: queue.name, limit: 2 });
        expect(first.letters).toHaveLength(2);
        expect(first.nextCursor).toEqual(expect.any(String));
        const second = await ctx.c().deadLetters({ queue: queue.name, limit: 2, cursor: first.nextCursor! });
        expect(second.letters).toHaveLength(1);
        expect(second.nextCursor).toBeUndefined();
        const all: DeadLetterSummary[] = [...first.letters, ...second.letters];
        expect(all.map((l) => l.jobId).sort()).toEqual([...ids].sort());
        const times = all.map((l) => Date.parse(l.time));
        expect(times).toEqual([...times].sort((a, b) => b - a));
        for (const letter of all) {
          expect(letter).toEqual({ queue: queue.name, jobId: letter.jobId, attempts: 1, reason: 'given up on attempt 1', time: letter.time });
        }

        const everything = await waitForLetter(ctx, other.name, otherId);
        expect(everything.map((l) => `${l.queue}/${l.jobId}`)).toEqual(expect.arrayContaining([...ids.map((id) => `${queue.name}/${id}`), `${other.name}/${otherId}`]));
      } finally {
        await Promise.all([...workers.map((w) => w.stop()), dead.stop()]);
      }
    });

    it('answers undefined for a job with no letter and rejects bad ids, limits and cursors', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      expect(await queue.deadLetter('12345')).toBeUndefined();
      expect((await ctx.b().deadLetters({ queue: queue.name })).letters).toEqual([]);
      for (const bad of ['', 'a/b', 'ↀ😀', 'x'.repeat(201)]) expect((await rejection(queue.deadLetter(bad))).name).toBe('ValidationError');
      expect((await rejection(ctx.b().deadLetters({ limit: 0 }))).name).toBe('ValidationError');
      expect((await rejection(ctx.b().deadLetters({ limit: 501 }))).name).toBe('ValidationError');
      expect((await rejection(ctx.b().deadLetters({ cursor: 'not a cursor' }))).name).toBe('ValidationError');
      expect((await rejection(ctx.b().deadLetters({ queue: 'no/such' }))).name).toBe('ValidationError');
    });
  });
}

/** Every letter (all queues), once `queue`'s job `jobId` is among them. */
async function waitForLetter(ctx: ContractContext, queue: string, jobId: string): Promise<DeadLetterSummary[]> {
  let letters: readonly DeadLetterSummary[] = [];
  const deadline = Date.now() + 10_000;
  while (!letters.some((l) => l.queue === queue && l.jobId === jobId)) {
    if (Date.now() > deadline) throw new Error(`no letter for ${queue}/${jobId}`);
    letters = (await ctx.c().deadLetters({ limit: 500 })).letters;
    if (!letters.some((l) => l.queue === queue && l.jobId === jobId)) await sleep(50);
  }
  return [...letters];
}
