import { describe, expect, it } from '@jest/globals';
import type { StreamMessage } from '../types';
import type { ContractContext } from './helpers';
import { bytes, unique, until } from './helpers';

/** The durable stream itself: dedup by msgId, positions, ordered replay from a sequence then live. */
export function registerEventStream(ctx: ContractContext): void {
  describe('event stream', () => {
    it('publishes with a sequence and drops a second publish of the same msgId', async () => {
      const subject = `evt.${unique('es')}.created`;
      const msgId = unique('id');
      const first = await ctx.a().events.publish(subject, bytes({ n: 1 }), { msgId });
      const again = await ctx.b().events.publish(subject, bytes({ n: 1 }), { msgId });
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ seq: first.seq, duplicate: true });
      const other = await ctx.a().events.publish(subject, bytes({ n: 2 }), { msgId: unique('id') });
      expect(other.seq).toBeGreaterThan(first.seq);
      expect(await ctx.b().events.lastSeq()).toBeGreaterThanOrEqual(other.seq);
    });

    it('publishes several messages in order with publishAll, a stored msgId as a duplicate', async () => {
      const topic = unique('es');
      const known = unique('id');
      const stored = await ctx.a().events.publish(`evt.${topic}.known`, bytes({ n: 0 }), { msgId: known });
      const messages = [1, 2, 3].map((n) => ({ subject: `evt.${topic}.n.${n}`, data: bytes({ n }), options: { msgId: unique('id'), headers: { 'x-n': String(n) } } }));
      const result = await ctx.b().events.publishAll([messages[0]!, { subject: `evt.${topic}.known`, data: bytes({ n: 0 }), options: { msgId: known } }, ...messages.slice(1)]);
      expect(result.error).toBeUndefined();
      expect(result.acks.map((ack) => ack.duplicate)).toEqual([false, true, false, false]);
      expect(result.acks[1]).toEqual({ seq: stored.seq, duplicate: true });
      const fresh = result.acks.filter((ack) => !ack.duplicate).map((ack) => ack.seq);
      expect([...fresh].sort((a, b) => a - b)).toEqual(fresh);
      const seen: StreamMessage[] = [];
      const sub = await ctx.c().events.replay({ fromSeq: stored.seq, filterSubject: `evt.${topic}.>` }, (message) => {
        seen.push(message);
      });
      try {
        await until('the messages', () => seen.length >= 4);
        expect(seen.map((m) => m.subject)).toEqual([`evt.${topic}.known`, ...messages.map((m) => m.subject)]);
        expect(seen.map((m) => m.headers['x-n'])).toEqual([undefined, '1', '2', '3']);
      } finally {
        await sub.stop();
      }
      expect(await ctx.a().events.publishAll([])).toEqual({ acks: [] });
    });

    it('stores nothing of a publishAll with an invalid message, or one aborted before it began', async () => {
      const topic = unique('es');
      const good = { subject: `evt.${topic}.ok`, data: bytes(1), options: { msgId: unique('id') } };
      const before = await ctx.a().events.lastSeq();
      await expect(ctx.a().events.publishAll([good, { subject: `not-evt.${topic}`, data: bytes(2), options: { msgId: unique('id') } }])).rejects.toMatchObject({ kind: 'validation_failed' });
      await expect(ctx.a().events.publishAll([good, { subject: `evt.${topic}.ok`, data: bytes(2), options: { msgId: '' } }])).rejects.toMatchObject({ kind: 'validation_failed' });
      const aborted = new AbortController();
      aborted.abort(new Error('given up'));
      const result = await ctx.a().events.publishAll([good], { signal: aborted.signal });
      expect(result.acks).toEqual([]);
      expect(result.error).toEqual(new Error('given up'));
      expect(await ctx.a().events.lastSeq()).toBe(before);
      // The same message, once allowed, is not a duplicate: it was never stored.
      expect((await ctx.a().events.publishAll([good])).acks).toEqual([{ seq: expect.any(Number), duplicate: false }]);
    });

    it('replays in order from a sequence, then delivers live events, with subject filtering', async () => {
      const topic = unique('es');
      const seqs: number[] = [];
      for (let i = 1; i <= 4; i++) {
        const kind = i === 3 ? 'other' : 'main';
        seqs.push((await ctx.a().events.publish(`evt.${topic}.${kind}.${i}`, bytes({ i }), { msgId: unique('id') })).seq);
      }
      const seen: StreamMessage[] = [];
      const sub = await ctx.b().events.replay({ fromSeq: seqs[1], filterSubject: `evt.${topic}.main.>` }, (message) => {
        seen.push(message);
      });
      try {
        await until('the stored events', () => seen.length >= 2);
        const live = await ctx.c().events.publish(`evt.${topic}.main.5`, bytes({ i: 5 }), { msgId: unique('id'), headers: { 'x-kind': 'live' } });
        await until('the live event', () => seen.length >= 3);
        expect(seen.map((m) => m.seq)).toEqual([seqs[1], seqs[3], live.seq]);
        expect(seen.map((m) => m.json<{ i: number }>().i)).toEqual([2, 4, 5]);
        const last = seen[2];
        expect(last?.subject).toBe(`evt.${topic}.main.5`);
        expect(last?.headers['x-kind']).toBe('live');
        expect(last?.msgId).not.toBe('');
        expect(last?.time).toBeInstanceOf(Date);
      } finally {
        await sub.stop();
      }
      await sub.closed;
    });

    it('stops a replay: nothing is delivered after stop() resolved', async () => {
      const topic = unique('es');
      const seen: number[] = [];
      const start = await ctx.a().events.lastSeq();
      const sub = await ctx.a().events.replay({ fromSeq: start + 1, filterSubject: `evt.${topic}.>` }, (m) => {
        seen.push(m.seq);
      });
      await ctx.b().events.publish(`evt.${topic}.x`, bytes(1), { msgId: unique('id') });
      await until('the first event', () => seen.length === 1);
      await sub.stop();
      await ctx.b().events.publish(`evt.${topic}.x`, bytes(2), { msgId: unique('id') });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toHaveLength(1);
    });
  });
}
