import { assertName } from '@cadre/proto';
import type { EventStream, PublishAck } from '../../types';
import type { BusContext } from '../context';
import { consume } from './consumer';
import { consumerLag } from './lag';
import { checkPublish, type CheckedMessage } from './publish';
import { replay } from './replay';

/** Stores messages in one statement (grouped with others waiting), all or none; wakes the readers of the stream. */
async function store(ctx: BusContext, messages: readonly CheckedMessage[]): Promise<readonly PublishAck[]> {
  let acks: readonly PublishAck[];
  try {
    acks = await new Promise<readonly PublishAck[]>((resolve, reject) => ctx.publishes({ messages, resolve, reject }));
  } catch (error) {
    // The statement may have committed before its answer was lost: wake every loop here, since
    // the NOTIFY it sent is not passed on to this process (hub.ts).
    ctx.hub.pulse('events').notify();
    throw error;
  }
  // This process's loops wake at once; other processes get the NOTIFY the insert fired.
  // Loops whose filter takes none of these subjects sleep on (a duplicate stored nothing).
  const subjects = messages.flatMap((message, i) => (acks[i]?.duplicate === false ? [message.subject] : []));
  if (subjects.length > 0) ctx.hub.pulse('events').notify(subjects);
  return acks;
}

/** The durable event stream of the embedded bus, stored in Postgres. */
export function embeddedEventStream(ctx: BusContext): EventStream {
  const { db } = ctx;
  return {
    async publish(subject, data, options) {
      const headers = checkPublish(subject, data, options);
      const [ack] = await store(ctx, [{ subject, msgId: options.msgId!, headers, data }]);
      return ack!;
    },
    async publishAll(messages, options) {
      const checked = messages.map((m): CheckedMessage => ({ subject: m.subject, msgId: m.options?.msgId, headers: checkPublish(m.subject, m.data, m.options), data: m.data }));
      if (checked.length === 0) return { acks: [] };
      if (options?.signal?.aborted) return { acks: [], error: options.signal.reason ?? new Error('publishAll aborted') };
      try {
        return { acks: await store(ctx, checked) };
      } catch (error) {
        // One statement: nothing of it was stored.
        return { acks: [], error };
      }
    },
    consume: (options, handler) => consume(ctx, options, handler),
    replay: (options, handler) => replay(ctx, options, handler),
    async lastSeq() {
      const { rows } = await db.query<{ last: string }>('lastSeq', `SELECT coalesce(max(seq), 0) AS last FROM ${db.t('stream_messages')}`);
      return Number(rows[0]?.last ?? 0);
    },
    async deleteConsumer(durable) {
      assertName('durable', durable);
      // Idempotent, like the NATS transport: deleting what is not there is not an error. Its
      // pending messages go with it: a consumer made again under the name starts with none. The
      // row's lock waits for a claim in progress, whose pending messages the second statement
      // then sees; a claim that comes after finds no consumer.
      await db.tx('delete consumer', async (client) => {
        await client.query(`DELETE FROM ${db.t('consumers')} WHERE name = $1`, [durable]);
        await client.query(`DELETE FROM ${db.t('consumer_pending')} WHERE consumer = $1`, [durable]);
      });
      ctx.hub.pulse('events').notify();
    },
    consumerLag: (durable) => consumerLag(db, durable),
  };
}
