import type { EventStream, Subscription } from '@cadre/bus';
import type { Logger } from '@cadre/logging';
import { toFeedMessage, type FeedMessage } from './message';

/** The one subscription of a gateway instance to the event stream, from its head onwards. */
export interface LiveFeed {
  /** The last sequence the feed has handed on (the stream's head when it started). */
  head(): number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const RESUBSCRIBE_MS = 1000;

/**
 * Follows the stream live and hands each event, in order, to `deliver` — synchronously, so a
 * slow consumer of the feed can never hold it up. If the subscription ends (bus trouble), it
 * resubscribes after the last sequence handed on: nothing is skipped or repeated.
 */
export function createLiveFeed(events: EventStream, logger: Logger, deliver: (message: FeedMessage) => void): LiveFeed {
  let last = 0;
  let subscription: Subscription | undefined;
  let stopped = false;

  const subscribe = async (): Promise<void> => {
    const current = await events.replay({ fromSeq: last + 1 }, (stored) => {
      if (stored.seq <= last) return;
      last = stored.seq;
      try {
        deliver(toFeedMessage(stored));
      } catch (error) {
        logger.error({ err: error, seq: stored.seq }, 'live feed consumer failed');
      }
    });
    subscription = current;
    void current.closed.then(() => {
      if (stopped || subscription !== current) return;
      logger.warn({ after: last }, 'live event feed ended; resubscribing');
      setTimeout(retry, RESUBSCRIBE_MS).unref();
    });
  };
  const retry = (): void => {
    if (stopped) return;
    subscribe().catch((error: unknown) => {
      logger.warn({ err: error }, 'live event feed cannot subscribe; retrying');
      setTimeout(retry, RESUBSCRIBE_MS).unref();
    });
  };

  return {
    head: () => last,
    async start() {
      last = await events.lastSeq();
      await subscribe();
    },
    async stop() {
      stopped = true;
      await subscription?.stop();
    },
  };
}
