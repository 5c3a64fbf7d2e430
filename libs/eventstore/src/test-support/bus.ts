import type { EventStream, PublishAck } from '@cadre/bus';

/**
 * The bus's event stream with `publish` replaced (to slow it down, refuse a message, count what
 * is in flight) and `publishAll` made of that `publish`: one message after another, stopping at
 * the first refused or once aborted — the NATS bus's way of keeping a stream's order.
 */
export function publishingEach(events: EventStream, publish: EventStream['publish']): EventStream {
  return {
    ...events,
    publish,
    async publishAll(messages, options) {
      const acks: PublishAck[] = [];
      for (const message of messages) {
        if (options?.signal?.aborted) return { acks, error: options.signal.reason };
        try {
          acks.push(await publish(message.subject, message.data, message.options));
        } catch (error) {
          return { acks, error };
        }
      }
      return { acks };
    },
  };
}
