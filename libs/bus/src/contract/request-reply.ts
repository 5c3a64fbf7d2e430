import { describe, expect, it } from '@jest/globals';
import { CadreError, ConflictError, NotFoundError, TimeoutError, UnavailableError, ValidationError } from '@cadre/proto';
import type { ContractContext } from './helpers';
import { rejection, sleep, unique } from './helpers';

/** Request/reply: round trips, typed errors across the wire, no responders, timeouts, queue groups. */
export function registerRequestReply(ctx: ContractContext): void {
  describe('request / reply', () => {
    it('answers a request served by another bus, with its headers', async () => {
      const id = unique('rr');
      const service = await ctx.a().serve({
        name: id,
        version: '1.0.0',
        endpoints: {
          [`${id}.echo`]: (payload, context) => ({ echo: payload, subject: context.subject, tenant: context.headers['x-tenant'] }),
          [`${id}.nothing`]: () => undefined,
        },
      });
      try {
        const reply = await ctx.b().request(`${id}.echo`, { n: 1, s: 'é' }, { headers: { 'x-tenant': 't1' } });
        expect(reply).toEqual({ echo: { n: 1, s: 'é' }, subject: `${id}.echo`, tenant: 't1' });
        expect(await ctx.b().request(`${id}.nothing`, null)).toBeUndefined();
      } finally {
        await service.stop();
      }
    });

    it('carries typed errors across the wire with class, code and details', async () => {
      const id = unique('rr');
      const service = await ctx.a().serve({
        name: id,
        version: '1.0.0',
        endpoints: {
          [`${id}.missing`]: () => {
            throw new NotFoundError('run not found', { runId: 'r1' });
          },
          [`${id}.conflict`]: async () => {
            throw new ConflictError('already exists');
          },
          [`${id}.crash`]: () => {
            throw new Error('password=hunter2 leaked from a driver');
          },
        },
      });
      try {
        const missing = await rejection(ctx.b().request(`${id}.missing`, {}));
        expect(missing).toBeInstanceOf(NotFoundError);
        expect(missing).toMatchObject({ code: 'not_found', message: 'run not found', details: { runId: 'r1' }, status: 404 });

        const conflict = await rejection(ctx.b().request(`${id}.conflict`, {}));
        expect(conflict).toBeInstanceOf(ConflictError);
        expect((conflict as CadreError).code).toBe('conflict');

        const crash = await rejection(ctx.b().request(`${id}.crash`, {}));
        expect(crash).toBeInstanceOf(CadreError);
        expect((crash as CadreError).code).toBe('internal');
        expect(crash.message).not.toContain('hunter2');
      } finally {
        await service.stop();
      }
    });

    it('fails fast with UnavailableError when nobody serves the subject', async () => {
      const started = Date.now();
      const error = await rejection(ctx.b().request(`${unique('nobody')}.here`, {}, { timeoutMs: 5_000 }));
      expect(error).toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(1_000);
    });

    it('gives up with TimeoutError when the reply does not come in time', async () => {
      const id = unique('rr');
      const service = await ctx.a().serve({
        name: id,
        version: '1.0.0',
        endpoints: { [`${id}.slow`]: () => sleep(1_500).then(() => 'late') },
      });
      try {
        const started = Date.now();
        const error = await rejection(ctx.b().request(`${id}.slow`, {}, { timeoutMs: 300 }));
        expect(error).toBeInstanceOf(TimeoutError);
        expect(Date.now() - started).toBeLessThan(1_200);
      } finally {
        await service.stop();
      }
    });

    it('hands each of many requests in flight its own reply, whatever order they are answered in; a late reply reaches no one', async () => {
      const id = unique('rr');
      const service = await ctx.a().serve({
        name: id,
        version: '1.0.0',
        endpoints: {
          // The first sent is answered last.
          [`${id}.echo`]: async (payload) => {
            await sleep(2 * (60 - (payload as number)));
            return payload;
          },
          [`${id}.late`]: async (payload) => {
            await sleep(payload === 'slow' ? 400 : 0);
            return payload;
          },
        },
      });
      try {
        const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => ctx.b().request<number>(`${id}.echo`, i)));
        expect(replies).toEqual(Array.from({ length: 60 }, (_, i) => i));

        expect(await rejection(ctx.b().request(`${id}.late`, 'slow', { timeoutMs: 100 }))).toBeInstanceOf(TimeoutError);
        // Requests sent while the timed-out one's answer is on its way each get their own.
        const after = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
          await sleep(i * 25);
          return ctx.b().request<string>(`${id}.late`, `fast-${i}`);
        }));
        expect(after).toEqual(Array.from({ length: 20 }, (_, i) => `fast-${i}`));
      } finally {
        await service.stop();
      }
    });

    it('answers a payload the handler cannot read with a ValidationError, and keeps serving', async () => {
      const id = unique('rr');
      const service = await ctx.a().serve({
        name: id,
        version: '1.0.0',
        endpoints: {
          [`${id}.strict`]: (payload) => {
            if (typeof payload !== 'object' || payload === null || !('name' in payload)) throw new ValidationError('name is required', [{ path: 'name', message: 'required' }]);
            return { ok: true };
          },
        },
      });
      try {
        const error = await rejection(ctx.b().request(`${id}.strict`, 42));
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).details).toEqual([{ path: 'name', message: 'required' }]);
        expect(await ctx.b().request(`${id}.strict`, { name: 'x' })).toEqual({ ok: true });
      } finally {
        await service.stop();
      }
    });

    it('shares requests among the replicas of a service: each answered once, by one of them', async () => {
      const id = unique('rr');
      const handled: string[] = [];
      const replica = (label: string) => ({
        name: id,
        version: '1.0.0',
        endpoints: {
          [`${id}.who`]: async (payload: unknown) => {
            handled.push(`${label}:${String(payload)}`);
            await sleep(5);
            return label;
          },
        },
      });
      const one = await ctx.a().serve(replica('a'));
      const two = await ctx.b().serve(replica('b'));
      try {
        const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => ctx.c().request<string>(`${id}.who`, i)));
        expect(handled).toHaveLength(40);
        expect(new Set(handled.map((h) => h.split(':')[1])).size).toBe(40);
        expect(replies.filter((r) => r === 'a').length).toBeGreaterThan(0);
        expect(replies.filter((r) => r === 'b').length).toBeGreaterThan(0);
      } finally {
        await Promise.all([one.stop(), two.stop()]);
      }
    });

    it('finishes the request in flight when a service stops, then no longer answers', async () => {
      const id = unique('rr');
      let entered = false;
      const service = await ctx.a().serve({
        name: id,
        version: '1.0.0',
        endpoints: {
          [`${id}.work`]: async () => {
            entered = true;
            await sleep(300);
            return 'done';
          },
        },
      });
      const inFlight = ctx.b().request(`${id}.work`, {});
      while (!entered) await sleep(5);
      await service.stop();
      await expect(inFlight).resolves.toBe('done');
      await expect(ctx.b().request(`${id}.work`, {}, { timeoutMs: 2_000 })).rejects.toBeInstanceOf(UnavailableError);
    });
  });
}
