import type { Bus, ConsumerOptions, Subscription } from '@cadre/bus';
import type { EventRegistry } from '@cadre/proto';
import type { RelayLogger } from '../relay/options';
import { silentLogger } from '../relay/options';
import { decodeEvent } from './decode';
import type { Projection } from './projection';

export interface ProjectionConsumerOptions {
  /** Durable consumer name, shared by the replicas running this projection. */
  readonly durable: string;
  /** Subject filter, e.g. `evt.runs.>` (default every event). */
  readonly filterSubject?: string;
  readonly deliverFrom?: ConsumerOptions['deliverFrom'];
  readonly ackWaitMs?: number;
  /** Upcasts events published under an older schema version before they are applied (the store's registry). */
  readonly registry: EventRegistry;
  readonly logger?: RelayLogger;
  /** How soon the position of events passed over without a transaction is stored (default 1 s). */
  readonly flushAfterMs?: number;
}

/** Messages an order-free projection is handed at a time (per durable consumer). */
const ORDER_FREE_IN_FLIGHT = 64;

/**
 * Feeds a projection from a durable consumer on the bus, using the stream sequence as the
 * position. Each event is upcast through the registry before it is applied. One message in
 * flight at a time (across replicas) keeps events in stream order; a failure naks the message
 * and it comes back before anything after it. An order-free projection takes up to 64 at a time.
 */
export async function runProjectionFromBus<DB>(projection: Projection<DB>, bus: Pick<Bus, 'events'>, options: ProjectionConsumerOptions): Promise<Subscription> {
  const logger = options.logger ?? silentLogger;
  const flushAfterMs = options.flushAfterMs ?? 1_000;
  let flushing: NodeJS.Timeout | undefined;
  const flush = (): Promise<void> =>
    projection.flush().catch((err: unknown) => logger.warn({ err, projection: projection.name }, 'projection position not stored; the next event stores it'));
  const subscription = await bus.events.consume(
    {
      durable: options.durable,
      maxAckPending: projection.orderFree ? ORDER_FREE_IN_FLIGHT : 1,
      ...(options.filterSubject !== undefined ? { filterSubject: options.filterSubject } : {}),
      ...(options.deliverFrom !== undefined ? { deliverFrom: options.deliverFrom } : {}),
      ...(options.ackWaitMs !== undefined ? { ackWaitMs: options.ackWaitMs } : {}),
    },
    async (message) => {
      const event = decodeEvent(message, options.registry);
      if (event === undefined) {
        // Redelivering a message that can never parse would block the projection for good.
        logger.error({ seq: message.seq, subject: message.subject, projection: projection.name }, 'projection skipped a malformed event');
        await message.term();
        return;
      }
      await projection.handle(event, message.seq);
      await message.ack();
      flushing ??= setTimeout(() => {
        flushing = undefined;
        void flush();
      }, flushAfterMs).unref();
    },
  );
  return {
    durable: options.durable,
    closed: subscription.closed,
    stop: async () => {
      await subscription.stop();
      clearTimeout(flushing);
      flushing = undefined;
      await flush();
    },
  };
}
