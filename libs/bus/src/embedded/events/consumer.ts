import { withTraceContext } from '../../trace';
import type { ConsumerOptions, MessageHandler, Subscription } from '../../types';
import { loopSubscription, retryDelay, type BusContext } from '../context';
import { subjectsFor, Wakeup, type Pulse } from '../wakeup';
import { releaseClaims, renewClaim, toDelivery } from './acks';
import { claimMessages, knownFilter, type Claimed, type KnownFilter } from './claim';
import { consumerConfig, upsertConsumer, type ConsumerConfig } from './consumer-config';

/** Messages claimed per round trip: enough to amortise the claim, few enough not to sit long in a batch. */
const BATCH = 32;

/** Runs a durable consumer: handlers get one message at a time, in stream order of claiming. */
export async function consume(ctx: BusContext, options: ConsumerOptions, handler: MessageHandler): Promise<Subscription> {
  ctx.assertAccepting('consume');
  const config = consumerConfig(options);
  const filter = knownFilter(await upsertConsumer(ctx.db, config, ctx.logger));
  ctx.assertAccepting('consume');
  const subscription = await loopSubscription(ctx, (signal, ready) => run(ctx, config, filter, handler, signal, ready));
  return { stop: () => subscription.stop(), closed: subscription.closed, durable: config.durable };
}

async function run(ctx: BusContext, config: ConsumerConfig, filter: KnownFilter, handler: MessageHandler, signal: AbortSignal, ready: () => void): Promise<void> {
  const { db, logger } = ctx;
  const { durable, lingerMs } = config;
  // Settles by any replica in this process free maxAckPending room, which matters to a loop
  // whose last claim that limit bounded.
  const settled = ctx.hub.pulse(`settled:${durable}`);
  // While a claim is out its answer is not known yet: a settle then may be the room it lacks.
  let limited = false;
  let claiming = false;
  // This process's publishes wake the loop when one matches its filter (the stored one, as the
  // last claim found it); only those (and another process's NOTIFY) are lingered on.
  const wakeup = new Wakeup([
    { pulse: ctx.hub.pulse('events'), wants: subjectsFor(() => filter.text), lingers: true },
    { pulse: settled, wants: () => limited || claiming },
  ], signal);
  let failures = 0;
  try {
    while (!signal.aborted) {
      let claim;
      claiming = true;
      try {
        claim = await claimMessages(db, durable, BATCH, filter);
        if (failures > 0) logger.info({ durable }, 'embedded bus: consumer resumed');
        failures = 0;
      } catch (error) {
        claiming = false;
        if (failures++ === 0) logger.warn({ err: (error as Error).message, durable }, 'embedded bus: consumer cannot claim, retrying');
        ready();
        await wakeup.sleep(retryDelay(failures));
        continue;
      }
      claiming = false;
      ready();
      if (claim.gone) return;
      limited = claim.limited;
      const batch = [...claim.messages];
      const claimedAt = Date.now();
      while (batch.length > 0 && !signal.aborted) {
        const next = batch.shift() as Claimed;
        // A message that waited in the batch for half its ack wait is re-stamped first; if it
        // was redelivered elsewhere meanwhile, it is not ours to handle any more.
        if (Date.now() - claimedAt > claim.ackWaitMs / 2 && !(await renewClaim(db, durable, next).catch(() => false))) continue;
        await handle(ctx, durable, next, handler, settled, wakeup);
      }
      if (batch.length > 0) {
        await releaseClaims(db, durable, batch).catch((error: unknown) =>
          logger.debug({ err: (error as Error).message, durable }, 'embedded bus: release failed; messages come back after the ack wait'));
      }
      // A full batch, or a claim that stopped at the end of its window of the stream: more may
      // be waiting now. Otherwise the claim took everything there was in its snapshot, and what
      // came since woke the loop (a publish it takes, a settle that makes room) or will (a
      // redelivery falling due, another process's NOTIFY, the poll).
      if (claim.messages.length === BATCH || claim.behind) continue;
      if (claim.nextDueMs !== undefined) wakeup.after(claim.nextDueMs - (Date.now() - claimedAt));
      await wakeup.sleep(ctx.pollMs);
      // A consumer that may lag lets what comes in the next moments gather, for one claim and one
      // ack statement. Only after a publish: a settle that makes room, a redelivery falling due
      // or the poll are claimed at once (a backlog is not slowed by a linger a batch).
      if (lingerMs > 0) await wakeup.linger(lingerMs);
    }
  } finally {
    wakeup.close();
  }
}

async function handle(ctx: BusContext, durable: string, claimed: Claimed, handler: MessageHandler, settled: Pulse, wakeup: Wakeup): Promise<void> {
  // A settled message frees a maxAckPending slot: replicas here claim again without waiting
  // for the poll (replicas in other processes find the room at their next poll).
  // A nak'd message is due again after its delay: the loop claims then (it does not claim again after every batch).
  const delivery = toDelivery(ctx.db, ctx.removals, durable, claimed, () => settled.notify(), (delayMs) => wakeup.after(delayMs));
  try {
    await withTraceContext(delivery.message.headers, () => handler(delivery.message));
  } catch (error) {
    ctx.logger.warn({ err: error, durable, seq: delivery.message.seq }, 'embedded bus: consumer handler failed; nak');
    if (delivery.settled()) return;
    // Back off a little so a poison message does not spin (JetStream naks at once; the
    // delay is short enough that a test or a retry does not notice).
    const backoff = Math.min(50 * 2 ** (claimed.deliveries - 1), 5_000);
    await delivery.message.nak(backoff).catch(() => undefined);
  }
}
