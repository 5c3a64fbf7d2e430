import type { Bus, ConsumerOptions, Subscription } from '@cadre/bus';
import { EventEnvelope, type EventRegistry } from '@cadre/proto';
import { upcastEnvelope } from '../read';
import type { RelayLogger } from '../relay/options';
import { silentLogger } from '../relay/options';
import type { Projection } from './projection';

export interface ProjectionConsumerOptions {
  /** Durable consumer name, shared by the replicas running this projection. */
  readonly durable: string;
  /** Subject filter, e.g. `evt.runs.>` (default every event). */
  readonly filterSubject?: string;
  readonly deliverFrom?: ConsumerOptions['deliverFrom'];
  readonly ackWaitMs?: number;
  /** Upcasts events published under an older schema version before they are applied. */
  readonly registry?: EventRegistry;
  readonly logger?: RelayLogger;
}

/**
 * Feeds a projection from a durable consumer on the bus, using the stream sequence as the
 * position. One message in flight at a time keeps events in stream order; a failure naks the
 * message and it comes back before anything after it.
 */
export function runProjectionFromBus<DB>(projection: Projection<DB>, bus: Pick<Bus, 'events'>, options: ProjectionConsumerOptions): Promise<Subscription> {
  const logger = options.logger ?? silentLogger;
  return bus.events.consume(
    {
      durable: options.durable,
      maxAckPending: 1,
      ...(options.filterSubject !== undefined ? { filterSubject: options.filterSubject } : {}),
      ...(options.deliverFrom !== undefined ? { deliverFrom: options.deliverFrom } : {}),
      ...(options.ackWaitMs !== undefined ? { ackWaitMs: options.ackWaitMs } : {}),
    },
    async (message) => {
      const parsed = EventEnvelope.safeParse(message.json());
      if (!parsed.success) {
        // Redelivering a message that can never parse would block the projection for good.
        logger.error({ seq: message.seq, subject: message.subject, projection: projection.name }, 'projection skipped a malformed event');
        await message.term();
        return;
      }
      const event = options.registry ? upcastEnvelope(options.registry, parsed.data) : parsed.data;
      await projection.handle(event, message.seq);
      await message.ack();
    },
  );
}
