import { publishInTurn, type EventStream } from '@cadre/bus';

/**
 * The bus's event stream with `publish` replaced (to slow it down, refuse a message, count what
 * is in flight) and `publishAll` made of that `publish` the NATS transport's way (publishInTurn):
 * one message after another, stopping at the first refused or once aborted.
 */
export function publishingEach(events: EventStream, publish: EventStream['publish']): EventStream {
  return {
    ...events,
    publish,
    publishAll: (messages, options) => publishInTurn(messages, (m) => publish(m.subject, m.data, m.options), options?.signal),
  };
}
