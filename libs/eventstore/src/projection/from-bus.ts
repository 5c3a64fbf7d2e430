import type { Bus, ConsumerOptions, Subscription } from '@cadre/bus';
import type { EventRegistry } from '@cadre/proto';
import type { RelayLogger } from '../relay/options';
import { silentLogger } from '../relay/options';
import type { RecordedEvent } from '../types';
import { decodeEvent } from './decode';
import type { Projection } from './projection';

export interface ProjectionConsumerOptions {
  /** Durable consumer name, shared by the replicas running this projection. */
  readonly durable: string;
  /** Subject filter, e.g. `evt.runs.>` (default every event). */
  readonly filterSubject?: string;
  readonly deliverFrom?: ConsumerOptions['deliverFrom'];
  readonly ackWaitMs?: number;
  /** See ConsumerOptions.lingerMs (default 0). */
  readonly lingerMs?: number;
  /** Upcasts events published under an older schema version before they are applied (the store's registry). */
  readonly registry: EventRegistry;
  readonly logger?: RelayLogger;
  /** How soon the position of events passed over without a transaction is stored (default 1 s). */
  readonly flushAfterMs?: number;
}

/** Messages an order-free projection is handed at a time (per durable consumer). */
const ORDER_FREE_IN_FLIGHT = 64;

/** What becomes of one message once its batch is written (or failed). */
type Settle = (error?: unknown) => Promise<void>;

/**
 * Applies an order-free projection's events in batches: an event that arrives while a batch is
 * being written waits for the next one, which takes every event waiting (one transaction for
 * them all). Should a batch fail, each of its events is tried alone, so one event that cannot be
 * applied fails only itself.
 */
function batcher<DB>(projection: Projection<DB>): { add(record: RecordedEvent, settle: Settle): void; idle(): Promise<void> } {
  let waiting: Array<{ readonly record: RecordedEvent; readonly settle: Settle }> = [];
  let writing: Promise<void> | undefined;
  const write = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await projection.handleBatch(batch.map((item) => item.record));
        await Promise.all(batch.map((item) => item.settle()));
      } catch (error) {
        if (batch.length === 1) {
          await batch[0]?.settle(error);
          continue;
        }
        for (const item of batch) {
          await projection.handleBatch([item.record]).then(() => item.settle(), (failure: unknown) => item.settle(failure));
        }
      }
    }
  };
  return {
    add(record, settle) {
      waiting.push({ record, settle });
      writing ??= write().finally(() => { writing = undefined; });
    },
    idle: async () => {
      while (writing !== undefined) await writing;
    },
  };
}

/**
 * Feeds a projection from a durable consumer on the bus, using the stream sequence as the
 * position. Each event is upcast through the registry before it is applied. One message in
 * flight at a time (across replicas) keeps events in stream order; a failure naks the message
 * and it comes back before anything after it. An order-free projection takes up to 64 at a time,
 * and writes those that arrive together in one transaction (should it fail, each is tried alone,
 * and only those that fail again are naked).
 */
export async function runProjectionFromBus<DB>(projection: Projection<DB>, bus: Pick<Bus, 'events'>, options: ProjectionConsumerOptions): Promise<Subscription> {
  const logger = options.logger ?? silentLogger;
  const flushAfterMs = options.flushAfterMs ?? 1_000;
  let flushing: NodeJS.Timeout | undefined;
  const batches = projection.orderFree ? batcher(projection) : undefined;
  const applied = (): void => {
    flushing ??= setTimeout(() => {
      flushing = undefined;
      void flush();
    }, flushAfterMs).unref();
  };
  const flush = (): Promise<void> =>
    projection.flush().catch((err: unknown) => logger.warn({ err, projection: projection.name }, 'projection position not stored; the next event stores it'));
  const subscription = await bus.events.consume(
    {
      durable: options.durable,
      maxAckPending: projection.orderFree ? ORDER_FREE_IN_FLIGHT : 1,
      ...(options.filterSubject !== undefined ? { filterSubject: options.filterSubject } : {}),
      ...(options.deliverFrom !== undefined ? { deliverFrom: options.deliverFrom } : {}),
      ...(options.ackWaitMs !== undefined ? { ackWaitMs: options.ackWaitMs } : {}),
      ...(options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {}),
    },
    async (message) => {
      const event = decodeEvent(message, options.registry);
      if (event === undefined) {
        // Redelivering a message that can never parse would block the projection for good.
        logger.error({ seq: message.seq, subject: message.subject, projection: projection.name }, 'projection skipped a malformed event');
        await message.term();
        return;
      }
      if (batches !== undefined) {
        // Order-free: the handler returns at once, so the next messages (up to the in-flight
        // limit) arrive while this one is written; each is acked once its batch committed.
        batches.add({ event, position: message.seq }, async (error) => {
          if (error === undefined) {
            await message.ack().catch((err: unknown) => logger.warn({ err, seq: message.seq, projection: projection.name }, 'projection ack failed; the event comes again'));
            applied();
            return;
          }
          logger.warn({ err: error, seq: message.seq, projection: projection.name }, 'projection could not apply an event; it comes again');
          await message.nak(Math.min(100 * 2 ** (message.deliveryCount - 1), 5_000)).catch(() => undefined);
        });
        return;
      }
      await projection.handle(event, message.seq);
      await message.ack();
      applied();
    },
  );
  return {
    durable: options.durable,
    closed: subscription.closed,
    stop: async () => {
      await subscription.stop();
      await batches?.idle();
      clearTimeout(flushing);
      flushing = undefined;
      await flush();
    },
  };
}
