import { describe, expect, it } from '@jest/globals';
import type { ConsumerLag, DeliveredMessage, EventStream } from '../types';
import type { ContractContext } from './helpers';
import { bytes, sleep, unique, until } from './helpers';

/** Polls the lag of `durable` until it equals `expected`; fails with the last value seen. */
async function lagBecomes(events: EventStream, durable: string, expected: ConsumerLag, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: ConsumerLag | undefined;
  for (;;) {
    last = await events.consumerLag(durable);
    if (last?.pending === expected.pending && last.ackPending === expected.ackPending) return;
    if (Date.now() > deadline) throw new Error(`lag of ${durable} stayed ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}`);
    await sleep(50);
  }
}

/** Consumer lag: what a durable consumer has not been given yet, and what it holds unacked. */
export function registerConsumerLag(ctx: ContractContext): void {
  describe('consumer lag', () => {
    it('counts matching messages not yet delivered and those delivered but unacked, and drops to zero once all are acked', async () => {
      const topic = unique('lag');
      const durable = unique('d');
      const publish = (subject: string) => ctx.a().events.publish(subject, bytes({ subject }), { msgId: unique('id') });
      // Three the consumer's filter matches, and after them one it skips (not lag).
      await publish(`evt.${topic}.a`);
      await publish(`evt.${topic}.b`);
      await publish(`evt.${topic}.c`);
      await publish(`evt.${topic}_other.x`);

      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: DeliveredMessage[] = [];
      // At most two unacked at once, and the handler holds the first until released.
      const sub = await ctx.b().events.consume({ durable, filterSubject: `evt.${topic}.>`, maxAckPending: 2, ackWaitMs: 60_000 }, async (m) => {
        handled.push(m);
        await gate;
        await m.ack();
      });
      try {
        expect(sub.durable).toBe(durable);
        await until('the first delivery', () => handled.length === 1);
        // Any bus of the same broker sees the same figures.
        await lagBecomes(ctx.c().events, durable, { pending: 1, ackPending: 2 });
        release();
        await until('every delivery', () => handled.length === 3);
        await lagBecomes(ctx.c().events, durable, { pending: 0, ackPending: 0 });
      } finally {
        release();
        await sub.stop();
      }

      await ctx.c().events.deleteConsumer(durable);
      expect(await ctx.c().events.consumerLag(durable)).toBeUndefined();
    });

    it('counts everything stored for a new durable consumer that starts at the beginning', async () => {
      const topic = unique('lag');
      const durable = unique('d');
      for (const name of ['a', 'b', 'c', 'd', 'e']) await ctx.a().events.publish(`evt.${topic}.${name}`, bytes({ name }), { msgId: unique('id') });
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let delivered = 0;
      const sub = await ctx.b().events.consume({ durable, filterSubject: `evt.${topic}.*`, maxAckPending: 1, ackWaitMs: 60_000 }, async (m) => {
        delivered++;
        await gate;
        await m.term();
      });
      try {
        await until('the first delivery', () => delivered === 1);
        await lagBecomes(ctx.a().events, durable, { pending: 4, ackPending: 1 });
        // term() settles like ack: nothing is left pending once every message was termed.
        release();
        await lagBecomes(ctx.a().events, durable, { pending: 0, ackPending: 0 });
        expect(delivered).toBe(5);
      } finally {
        release();
        await sub.stop();
        await ctx.a().events.deleteConsumer(durable);
      }
    });

    it('is undefined for a durable consumer that does not exist', async () => {
      expect(await ctx.a().events.consumerLag(unique('missing'))).toBeUndefined();
    });
  });
}
