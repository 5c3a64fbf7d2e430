import { describe, expect, it } from '@jest/globals';
import type { DeliveredMessage, DeliverFrom, Subscription } from '../types';
import type { ContractContext } from './helpers';
import { bytes, sleep, unique, until } from './helpers';

/** Durable consumers: explicit ack, redelivery, bounded deliveries, filters, start positions, replicas. */
export function registerDurableConsumers(ctx: ContractContext): void {
  describe('durable consumers', () => {
    const publishAll = async (subjects: string[]): Promise<number[]> => {
      const seqs: number[] = [];
      for (const [i, subject] of subjects.entries()) seqs.push((await ctx.a().events.publish(subject, bytes({ i }), { msgId: unique('id') })).seq);
      return seqs;
    };
    const stopAll = (subs: Subscription[]): Promise<unknown> => Promise.all(subs.map((s) => s.stop()));

    it('delivers in order with explicit ack, and a restarted consumer resumes after its last ack', async () => {
      const topic = unique('dc');
      const durable = unique('d');
      const seqs = await publishAll([`evt.${topic}.a`, `evt.${topic}.b`]);
      const seen: DeliveredMessage[] = [];
      // A stopped NATS pull consumer's last pull request can outlive it at the server (until it
      // expires) and take a message meant for the next replica; the short ack wait hands such a
      // message on quickly. Either way nothing acked is delivered again.
      const first = await ctx.b().events.consume({ durable, filterSubject: `evt.${topic}.>`, ackWaitMs: 1_000 }, async (m) => {
        seen.push(m);
        await m.ack();
      });
      await until('two events', () => seen.length === 2);
      await first.stop();
      expect(seen.map((m) => [m.seq, m.deliveryCount, m.json<{ i: number }>().i])).toEqual([[seqs[0], 1, 0], [seqs[1], 1, 1]]);

      const [third] = await publishAll([`evt.${topic}.c`]);
      const resumed: number[] = [];
      const second = await ctx.c().events.consume({ durable, filterSubject: `evt.${topic}.>`, ackWaitMs: 1_000 }, async (m) => {
        resumed.push(m.seq);
        await m.ack();
      });
      await until('the new event', () => resumed.length === 1);
      await sleep(200);
      await second.stop();
      expect(resumed).toEqual([third]);
      await ctx.c().events.deleteConsumer(durable);
    });

    it('redelivers a message not acked within ackWait, and one whose handler threw', async () => {
      const topic = unique('dc');
      const [quietSeq, throwSeq] = await publishAll([`evt.${topic}.quiet`, `evt.${topic}.throws`]);
      const deliveries: Array<{ seq: number; count: number; at: number }> = [];
      const sub = await ctx.b().events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>`, ackWaitMs: 700 }, async (m) => {
        deliveries.push({ seq: m.seq, count: m.deliveryCount, at: Date.now() });
        if (m.deliveryCount > 1) return m.ack();
        if (m.seq === throwSeq) throw new Error('handler failed');
        // quiet: neither ack nor nak — the ack wait runs out.
      });
      try {
        await until('both redeliveries', () => deliveries.filter((d) => d.count === 2).length === 2, 5_000);
        const quiet = deliveries.filter((d) => d.seq === quietSeq);
        expect(quiet.map((d) => d.count)).toEqual([1, 2]);
        expect((quiet[1]?.at ?? 0) - (quiet[0]?.at ?? 0)).toBeGreaterThanOrEqual(500);
        expect(deliveries.filter((d) => d.seq === throwSeq).map((d) => d.count)).toEqual([1, 2]);
      } finally {
        await sub.stop();
      }
    });

    it('stops delivering after maxDeliver attempts, and term() ends deliveries at once', async () => {
      const topic = unique('dc');
      const [nakSeq = 0, termSeq = 0] = await publishAll([`evt.${topic}.nak`, `evt.${topic}.term`]);
      const counts = new Map<number, number>();
      const sub = await ctx.b().events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>`, maxDeliver: 3, ackWaitMs: 500 }, async (m) => {
        counts.set(m.seq, (counts.get(m.seq) ?? 0) + 1);
        if (m.seq === termSeq) await m.term();
        else await m.nak();
      });
      try {
        await until('three deliveries', () => counts.get(nakSeq) === 3, 5_000);
        await sleep(1_200);
        expect(counts.get(nakSeq)).toBe(3);
        expect(counts.get(termSeq)).toBe(1);
      } finally {
        await sub.stop();
      }
    });

    it('starts a new durable at a sequence, at a time, or at new events only', async () => {
      const topic = unique('dc');
      const [, second, third] = await publishAll([`evt.${topic}.x`, `evt.${topic}.x`, `evt.${topic}.x`]);
      await sleep(150);
      const since = new Date();
      await sleep(150);
      const [fourth] = await publishAll([`evt.${topic}.x`]);

      const collect = async (deliverFrom: DeliverFrom) => {
        const seen: number[] = [];
        const sub = await ctx.b().events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>`, deliverFrom }, async (m) => {
          seen.push(m.seq);
          await m.ack();
        });
        return { seen, sub };
      };
      const bySeq = await collect({ kind: 'sequence', seq: second ?? 0 });
      const byTime = await collect({ kind: 'time', time: since });
      const onlyNew = await collect({ kind: 'new' });
      const [fifth] = await publishAll([`evt.${topic}.x`]);
      try {
        await until('all three consumers', () => bySeq.seen.length >= 4 && byTime.seen.length >= 2 && onlyNew.seen.length >= 1);
        await sleep(200);
        expect(bySeq.seen).toEqual([second, third, fourth, fifth]);
        expect(byTime.seen).toEqual([fourth, fifth]);
        expect(onlyNew.seen).toEqual([fifth]);
      } finally {
        await stopAll([bySeq.sub, byTime.sub, onlyNew.sub]);
      }
    });

    it('filters on the server by subject', async () => {
      const topic = unique('dc');
      const seqs = await publishAll([`evt.${topic}.run.r1`, `evt.${topic}.swarm.s1`, `evt.${topic}.run.r2`]);
      const seen: string[] = [];
      const sub = await ctx.b().events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.run.*` }, async (m) => {
        seen.push(m.subject);
        await m.ack();
      });
      try {
        await until('two run events', () => seen.length >= 2);
        await sleep(200);
        expect(seen).toEqual([`evt.${topic}.run.r1`, `evt.${topic}.run.r2`]);
        expect(seqs).toHaveLength(3);
      } finally {
        await sub.stop();
      }
    });

    it('shares one durable among replicas: each message processed once, each replica gets a share', async () => {
      const topic = unique('dc');
      const durable = unique('d');
      const byReplica: Record<string, number[]> = { a: [], b: [] };
      const replica = (label: 'a' | 'b') => async (m: DeliveredMessage) => {
        byReplica[label]?.push(m.seq);
        await sleep(15);
        await m.ack();
      };
      const subs = [
        await ctx.a().events.consume({ durable, filterSubject: `evt.${topic}.>`, maxAckPending: 4 }, replica('a')),
        await ctx.b().events.consume({ durable, filterSubject: `evt.${topic}.>`, maxAckPending: 4 }, replica('b')),
      ];
      const seqs = await publishAll(Array.from({ length: 30 }, (_, i) => `evt.${topic}.${i}`));
      try {
        const all = (): number[] => [...(byReplica.a ?? []), ...(byReplica.b ?? [])];
        await until('every message', () => all().length >= 30);
        await sleep(300);
        expect(all().sort((x, y) => x - y)).toEqual(seqs);
        expect(byReplica.a?.length).toBeGreaterThan(0);
        expect(byReplica.b?.length).toBeGreaterThan(0);
      } finally {
        await stopAll(subs);
      }
    });

    it('lets the handler in flight finish on stop(), and delivers nothing after it', async () => {
      const topic = unique('dc');
      await publishAll([`evt.${topic}.1`, `evt.${topic}.2`]);
      const events: string[] = [];
      const sub = await ctx.b().events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>` }, async (m) => {
        events.push(`start ${m.json<{ i: number }>().i}`);
        await sleep(300);
        events.push(`end ${m.json<{ i: number }>().i}`);
        await m.ack();
      });
      await until('the first handler', () => events.length === 1);
      await sub.stop();
      events.push('stopped');
      await sleep(400);
      expect(events).toEqual(['start 0', 'end 0', 'stopped']);
    });

    it('lets a handler stop its own subscription: its stop() ends once that handler is done', async () => {
      const topic = unique('dc');
      await publishAll([`evt.${topic}.1`, `evt.${topic}.2`, `evt.${topic}.3`]);
      const events: string[] = [];
      let stopped: Promise<void> | undefined;
      const holder: { sub?: Subscription } = {};
      const sub = await ctx.b().events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>` }, async (m) => {
        const i = m.json<{ i: number }>().i;
        events.push(`start ${i}`);
        await until('the subscription', () => holder.sub !== undefined);
        // Not awaited: stop() waits for the handlers in flight, this one included.
        stopped ??= holder.sub!.stop().then(() => void events.push('stopped'));
        await sleep(100);
        events.push(`end ${i}`);
        await m.ack();
      });
      holder.sub = sub;
      await until('the stop', () => stopped !== undefined);
      await stopped;
      await sleep(300);
      expect(events).toEqual(['start 0', 'end 0', 'stopped']);
    });

    it('deletes a durable: consuming it again starts over', async () => {
      const topic = unique('dc');
      const durable = unique('d');
      await publishAll([`evt.${topic}.1`]);
      const seen: number[] = [];
      const run = async (): Promise<void> => {
        const sub = await ctx.b().events.consume({ durable, filterSubject: `evt.${topic}.>` }, async (m) => {
          seen.push(m.seq);
          await m.ack();
        });
        await until('the event', () => seen.length > 0);
        await sub.stop();
      };
      await run();
      await ctx.b().events.deleteConsumer(durable);
      await ctx.b().events.deleteConsumer(durable); // a missing durable is not an error
      seen.length = 0;
      await run();
      expect(seen).toHaveLength(1);
    });
  });
}
