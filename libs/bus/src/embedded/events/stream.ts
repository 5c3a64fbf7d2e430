import { assertName } from '@cadre/proto';
import type { EventStream, PublishAck } from '../../types';
import type { BusContext } from '../context';
import { consume } from './consumer';
import { consumerLag } from './lag';
import { checkPublish } from './publish';
import { replay } from './replay';

/** The durable event stream of the embedded bus, stored in Postgres. */
export function embeddedEventStream(ctx: BusContext): EventStream {
  const { db } = ctx;
  return {
    async publish(subject, data, options) {
      const headers = checkPublish(subject, data, options);
      const ack = await new Promise<PublishAck>((resolve, reject) => ctx.publishes({ subject, msgId: options.msgId!, headers, data, resolve, reject }));
      // This process's loops wake at once; other processes get the NOTIFY the insert fired.
      if (!ack.duplicate) ctx.hub.pulse('events').notify();
      return ack;
    },
    consume: (options, handler) => consume(ctx, options, handler),
    replay: (options, handler) => replay(ctx, options, handler),
    async lastSeq() {
      const { rows } = await db.query<{ last: string }>('lastSeq', `SELECT coalesce(max(seq), 0) AS last FROM ${db.t('stream_messages')}`);
      return Number(rows[0]?.last ?? 0);
    },
    async deleteConsumer(durable) {
      assertName('durable', durable);
      // Idempotent, like the NATS transport: deleting what is not there is not an error.
      await db.run('delete consumer', () => db.kysely.deleteFrom('consumers').where('name', '=', durable).execute());
      ctx.hub.pulse('events').notify();
    },
    consumerLag: (durable) => consumerLag(db, durable),
  };
}
