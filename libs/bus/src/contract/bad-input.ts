import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '@cadre/proto';
import type { ContractContext } from './helpers';
import { bytes, rejection, unique } from './helpers';

/** Bad input is a ValidationError for the caller, never a crash or a hang of the bus. */
export function registerBadInput(ctx: ContractContext): void {
  describe('bad input', () => {
    const badSubjects = ['', 'a..b', 'a b', '.a', 'a.', 'a.*', 'a.>', 'a\nb'];

    it('rejects invalid request subjects and service definitions', async () => {
      for (const subject of badSubjects) {
        expect(await rejection(ctx.a().request(subject, {}))).toBeInstanceOf(ValidationError);
      }
      const id = unique('bad');
      expect(await rejection(ctx.a().serve({ name: 'has space', version: '1.0.0', endpoints: { [`${id}.x`]: () => 1 } }))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().serve({ name: id, version: '1.0.0', endpoints: { 'a..b': () => 1 } }))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().serve({ name: id, version: '1.0.0', queue: 'bad.queue', endpoints: { [`${id}.x`]: () => 1 } }))).toBeInstanceOf(ValidationError);
    });

    it('rejects event subjects with wildcards or outside evt., and a missing msgId', async () => {
      for (const subject of [...badSubjects, `evt.${unique('bad')}.*`, `evt.${unique('bad')}.>`, `nope.${unique('bad')}`]) {
        expect(await rejection(ctx.a().events.publish(subject, bytes(1), { msgId: unique('id') }))).toBeInstanceOf(ValidationError);
      }
      const missing = ctx.a().events.publish(`evt.${unique('bad')}.x`, bytes(1), { msgId: '' });
      expect(await rejection(missing)).toBeInstanceOf(ValidationError);
    });

    it('rejects invalid durable names, filters and positions', async () => {
      const handler = async (): Promise<void> => undefined;
      for (const durable of ['', 'has.dot', 'has space', 'star*', 'gt>']) {
        expect(await rejection(ctx.a().events.consume({ durable }, handler))).toBeInstanceOf(ValidationError);
      }
      const durable = unique('d');
      expect(await rejection(ctx.a().events.consume({ durable, filterSubject: 'evt..x' }, handler))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().events.consume({ durable, filterSubject: 'evt.>.x' }, handler))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().events.consume({ durable, deliverFrom: { kind: 'sequence', seq: 0 } }, handler))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().events.consume({ durable, ackWaitMs: -1 }, handler))).toBeInstanceOf(ValidationError);
      for (const lingerMs of [-1, Number.NaN, 600_000]) {
        expect(await rejection(ctx.a().events.consume({ durable, lingerMs }, handler))).toBeInstanceOf(ValidationError);
      }
      expect(await rejection(ctx.a().events.replay({ fromSeq: 0 }, handler))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().events.deleteConsumer('has.dot'))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().events.consumerLag('has.dot'))).toBeInstanceOf(ValidationError);
    });

    it('rejects invalid queue, bucket and ephemeral names', async () => {
      expect(() => ctx.a().workQueue('has space')).toThrow(ValidationError);
      expect(() => ctx.a().workQueue('has.dot')).toThrow(ValidationError);
      const queue = ctx.a().workQueue(unique('wq'));
      expect(await rejection(queue.process(async () => undefined, { maxAttempts: 0 }))).toBeInstanceOf(ValidationError);
      expect(await rejection(ctx.a().blobs('has space'))).toBeInstanceOf(ValidationError);
      expect(() => ctx.a().ephemeral.publish('a.*', bytes(1))).toThrow(ValidationError);
      expect(() => ctx.a().ephemeral.publish('a..b', bytes(1))).toThrow(ValidationError);
      expect(() => ctx.a().ephemeral.subscribe('a..b', () => undefined)).toThrow(ValidationError);
    });

    it('still works after all that', async () => {
      const id = unique('bad');
      const service = await ctx.a().serve({ name: id, version: '1.0.0', endpoints: { [`${id}.ok`]: () => 'ok' } });
      try {
        expect(await ctx.b().request(`${id}.ok`, {})).toBe('ok');
      } finally {
        await service.stop();
      }
      expect(ctx.a().isHealthy()).toBe(true);
    });
  });
}
