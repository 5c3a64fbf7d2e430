import { describe } from '@jest/globals';
import { registerBadInput } from './bad-input';
import { registerBlobs } from './blobs';
import { registerConsumerLag } from './consumer-lag';
import { registerDeadLetters } from './dead-letters';
import { registerDurableConsumers } from './durable-consumer';
import { registerEphemeral } from './ephemeral';
import { registerEventStream } from './event-stream';
import { contractContext } from './helpers';
import type { BusHarness } from './harness';
import { registerRequestReply } from './request-reply';
import { registerTraceContext } from './trace-context';
import { registerWorkQueue } from './work-queue';

export type { BusHarness } from './harness';

/**
 * The bus contract suite: every transport runs it against its own harness and must pass it
 * unchanged. Uses only the Bus interface; names are unique per test so tests do not interfere.
 */
export function describeBusContract(harness: () => Promise<BusHarness>): void {
  describe('bus contract', () => {
    const ctx = contractContext(harness);
    registerRequestReply(ctx);
    registerEventStream(ctx);
    registerDurableConsumers(ctx);
    registerConsumerLag(ctx);
    registerWorkQueue(ctx);
    registerDeadLetters(ctx);
    registerBlobs(ctx);
    registerEphemeral(ctx);
    registerBadInput(ctx);
    registerTraceContext(ctx);
  });
}
