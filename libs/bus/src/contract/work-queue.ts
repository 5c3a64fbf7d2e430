import { describe, expect, it } from '@jest/globals';
import { EventEnvelope } from '@cadre/proto';
import type { Job } from '../types';
import { eventually } from '@cadre/testing';
import { deadLetterSubject, watchDeadLetters } from './dead-letter-watch';
import type { ContractContext } from './helpers';
import { bytes, sleep, unique, until } from './helpers';

/** Work queues: ack, retries with delay, dead letters, heartbeats, dedup, depth, shared workers. */
export function registerWorkQueue(ctx: ContractContext): void {
  describe('work queues', () => {
    it('runs each job once and acks it on return; depth counts jobs not yet done', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await queue.enqueue(bytes({ i }))).jobId);
      expect(await queue.depth()).toBe(3);
      const runs: Job[] = [];
      const worker = await ctx.b().workQueue(queue.name).process(async (job) => {
        runs.push(job);
      });
      try {
        await until('three jobs', () => runs.length === 3);
        expect(runs.map((j) => j.json<{ i: number }>().i).sort()).toEqual([0, 1, 2]);
        expect(runs.map((j) => j.jobId).sort()).toEqual([...ids].sort());
        expect(runs.every((j) => j.attempt === 1 && j.queue === queue.name)).toBe(true);
        expect(new Set(runs.map((j) => j.attemptId)).size).toBe(3);
        await eventually(async () => expect(await queue.depth()).toBe(0));
      } finally {
        await worker.stop();
      }
    });

    it('queues one job for two enqueues with the same msgId', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      const msgId = unique('job');
      const first = await queue.enqueue(bytes('x'), { msgId });
      const second = await ctx.b().workQueue(queue.name).enqueue(bytes('x'), { msgId });
      expect(first.duplicate).toBe(false);
      expect(second).toEqual({ jobId: first.jobId, duplicate: true });
      expect(await queue.depth()).toBe(1);
    });

    it('retries a naked job after its delay, as a new attempt of the same job', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      const { jobId } = await queue.enqueue(bytes('retry me'), { headers: { 'x-run': 'r1' } });
      const runs: Array<{ job: Job; at: number }> = [];
      const worker = await ctx.b().workQueue(queue.name).process(async (job) => {
        runs.push({ job, at: Date.now() });
        if (job.attempt === 1) await job.nak(600);
      });
      try {
        await until('the retry', () => runs.length === 2, 5_000);
        const [first, second] = runs;
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(450);
        expect([first!.job.jobId, second!.job.jobId]).toEqual([jobId, jobId]);
        expect(second!.job.attempt).toBe(2);
        expect(second!.job.attemptId).not.toBe(first!.job.attemptId);
        expect(second!.job.headers['x-run']).toBe('r1');
        await eventually(async () => expect(await queue.depth()).toBe(0));
      } finally {
        await worker.stop();
      }
    });

    it('dead-letters a job the handler terms: the event says so without the body, the letter keeps it', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      const dead = await watchDeadLetters(ctx, queue.name);
      const body = bytes({ bad: true, prompt: 'a system prompt nobody but an admin may read' });
      const { jobId } = await queue.enqueue(body, { headers: { 'x-run': 'r9' } });
      let runs = 0;
      const worker = await ctx.b().workQueue(queue.name).process(async (job) => {
        runs++;
        await job.term('input cannot be processed');
      });
      try {
        await until('the dead letter', () => dead.notices.length === 1 && dead.events.length === 1);
        const event = dead.events[0]!;
        expect(event.subject).toBe(deadLetterSubject(queue.name));
        expect(event.msgId).toBe(`dl:${queue.name}:${jobId}`);
        const envelope = EventEnvelope.parse(event.json());
        expect(envelope).toEqual({
          id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
          type: 'job_dead_lettered',
          stream: `deadletter-${queue.name}-${jobId}`,
          version: 1,
          occurredAt: expect.any(String),
          data: { queue: queue.name, job_id: jobId, attempts: 1, reason: 'input cannot be processed' },
          meta: { schemaVersion: 1 },
        });
        // Nothing of the job itself is on the stream.
        const raw = Buffer.from(event.data).toString();
        for (const part of ['nobody but an admin', Buffer.from(body).toString('base64'), 'x-run', 'r9']) expect(raw).not.toContain(part);

        const letter = await ctx.c().workQueue(queue.name).deadLetter(jobId);
        expect(letter).toEqual({
          queue: queue.name, jobId, attempts: 1, reason: 'input cannot be processed',
          data: Buffer.from(body).toString('base64'), headers: expect.objectContaining({ 'x-run': 'r9' }), time: envelope.occurredAt,
        });
        // The letter was there when the event arrived; the live notice carries it whole.
        expect(dead.letterAtEvent).toEqual([letter]);
        expect(dead.notices[0]).toEqual(letter);
        await sleep(500);
        expect(runs).toBe(1);
        expect(await queue.depth()).toBe(0);
      } finally {
        await Promise.all([worker.stop(), dead.stop()]);
      }
    });

    it('retries a throwing handler with backoff, then dead-letters it after maxAttempts', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      const dead = await watchDeadLetters(ctx, queue.name);
      const { jobId } = await queue.enqueue(bytes('boom'));
      const attempts: number[] = [];
      const worker = await ctx.b().workQueue(queue.name).process(
        async (job) => {
          attempts.push(job.attempt);
          throw new Error(`boom ${job.attempt}`);
        },
        { maxAttempts: 3 },
      );
      try {
        await until('the dead letter event', () => dead.events.length === 1, 10_000);
        expect(dead.events[0]!.subject).toBe(deadLetterSubject(queue.name));
        const { data } = EventEnvelope.parse(dead.events[0]!.json());
        expect(data).toMatchObject({ queue: queue.name, job_id: jobId, attempts: 3 });
        expect(data.reason).toContain('boom 3');
        expect(await ctx.c().workQueue(queue.name).deadLetter(jobId)).toMatchObject({ attempts: 3, reason: 'boom 3' });
        await sleep(800);
        expect(attempts).toEqual([1, 2, 3]);
        expect(await queue.depth()).toBe(0);
      } finally {
        await Promise.all([worker.stop(), dead.stop()]);
      }
    });

    it('keeps a job that heartbeats with working() from being handed out again', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      await queue.enqueue(bytes('long'));
      const attempts: string[] = [];
      let done = false;
      const worker = await ctx.b().workQueue(queue.name).process(
        async (job) => {
          attempts.push(job.attemptId);
          for (let i = 0; i < 8; i++) {
            await sleep(250);
            await job.working();
          }
          done = true;
        },
        { ackWaitMs: 800, concurrency: 2 },
      );
      await until('the long job to start', () => attempts.length === 1);
      // Only now a second worker, so it can only get the job if the heartbeat failed.
      const other = await ctx.c().workQueue(queue.name).process(async (job) => {
        attempts.push(job.attemptId);
      }, { ackWaitMs: 800 });
      try {
        await until('the long job', () => done, 6_000);
        await sleep(1_000);
        expect(attempts).toHaveLength(1);
      } finally {
        await Promise.all([worker.stop(), other.stop()]);
      }
    });

    it('hands a job whose worker went silent to another attempt after ackWait', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      await queue.enqueue(bytes('stuck'));
      const attempts: number[] = [];
      const worker = await ctx.b().workQueue(queue.name).process(
        async (job) => {
          attempts.push(job.attempt);
          if (job.attempt === 1) await sleep(1_500); // no heartbeat
        },
        { ackWaitMs: 600, concurrency: 2 },
      );
      try {
        await until('the second attempt', () => attempts.length === 2, 5_000);
        expect(attempts).toEqual([1, 2]);
      } finally {
        await worker.stop();
      }
    });

    it('runs up to `concurrency` jobs at once and shares jobs among workers, each job once', async () => {
      const queue = ctx.a().workQueue(unique('wq'));
      for (let i = 0; i < 12; i++) await queue.enqueue(bytes({ i }));
      let running = 0;
      let peak = 0;
      const done: Record<string, number[]> = { b: [], c: [] };
      const handler = (label: 'b' | 'c') => async (job: Job) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(100);
        running--;
        done[label]?.push(job.json<{ i: number }>().i);
      };
      const workers = [
        await ctx.b().workQueue(queue.name).process(handler('b'), { concurrency: 3 }),
        await ctx.c().workQueue(queue.name).process(handler('c'), { concurrency: 3 }),
      ];
      try {
        await until('all jobs', () => (done.b?.length ?? 0) + (done.c?.length ?? 0) === 12);
        await sleep(200);
        const all = [...(done.b ?? []), ...(done.c ?? [])].sort((x, y) => x - y);
        expect(all).toEqual(Array.from({ length: 12 }, (_, i) => i));
        expect(peak).toBeLessThanOrEqual(6);
        expect(peak).toBeGreaterThan(1);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    });
  });
}
