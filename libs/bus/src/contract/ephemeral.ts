import { describe, expect, it } from '@jest/globals';
import type { EphemeralMessage } from '../types';
import type { ContractContext } from './helpers';
import { barrier, bytes, sleep, unique, until } from './helpers';

/** Ephemeral pub/sub: fan-out, queue groups, wildcards, stop. */
export function registerEphemeral(ctx: ContractContext): void {
  describe('ephemeral pub/sub', () => {
    it('fans a message out to every subscriber, with subject, headers and data', async () => {
      const topic = unique('ep');
      const seenA: EphemeralMessage[] = [];
      const seenB: EphemeralMessage[] = [];
      const subA = ctx.a().ephemeral.subscribe(`${topic}.>`, (m) => seenA.push(m));
      const subB = ctx.b().ephemeral.subscribe(`${topic}.*.log`, (m) => seenB.push(m));
      await Promise.all([barrier(ctx.a()), barrier(ctx.b())]);
      try {
        ctx.c().ephemeral.publish(`${topic}.i1.log`, bytes({ line: 'hello' }), { 'x-instance': 'i1' });
        ctx.c().ephemeral.publish(`${topic}.i1.metrics`, bytes({ cpu: 1 }));
        await until('both subscribers', () => seenA.length === 2 && seenB.length === 1);
        expect(seenB[0]).toMatchObject({ subject: `${topic}.i1.log`, headers: { 'x-instance': 'i1' } });
        expect(seenB[0]!.json()).toEqual({ line: 'hello' });
        expect(seenA.map((m) => m.subject)).toEqual([`${topic}.i1.log`, `${topic}.i1.metrics`]);
      } finally {
        await Promise.all([subA.stop(), subB.stop()]);
      }
    });

    it('shares messages among a queue group: each delivered to one member', async () => {
      const subject = `${unique('ep')}.work`;
      const got: Record<string, number[]> = { a: [], b: [] };
      const subs = [
        ctx.a().ephemeral.subscribe(subject, (m) => got.a?.push(m.json<number>()), { queue: 'workers' }),
        ctx.b().ephemeral.subscribe(subject, (m) => got.b?.push(m.json<number>()), { queue: 'workers' }),
      ];
      await Promise.all([barrier(ctx.a()), barrier(ctx.b())]);
      try {
        for (let i = 0; i < 40; i++) ctx.c().ephemeral.publish(subject, bytes(i));
        const all = (): number[] => [...(got.a ?? []), ...(got.b ?? [])];
        await until('all messages', () => all().length >= 40);
        await sleep(200);
        expect(all().sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i));
        expect(got.a?.length).toBeGreaterThan(0);
        expect(got.b?.length).toBeGreaterThan(0);
      } finally {
        await Promise.all(subs.map((s) => s.stop()));
      }
    });

    it('delivers nothing after stop, and publishing with nobody listening is fine', async () => {
      const subject = `${unique('ep')}.x`;
      const seen: number[] = [];
      const sub = ctx.a().ephemeral.subscribe(subject, (m) => seen.push(m.json<number>()));
      await barrier(ctx.a());
      ctx.b().ephemeral.publish(subject, bytes(1));
      await until('the first message', () => seen.length === 1);
      await sub.stop();
      await sub.closed;
      ctx.b().ephemeral.publish(subject, bytes(2));
      await barrier(ctx.b());
      await sleep(200);
      expect(seen).toEqual([1]);
    });
  });
}
