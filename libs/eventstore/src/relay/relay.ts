import type { ClientConfig } from 'pg';
import { outboxChannel } from '../connection';
import { relayBatch, type BatchContext } from './batch';
import { listenForNotifications } from './listener';
import { localRelays } from './local';
import { silentLogger, type OutboxRelay, type OutboxRelayOptions } from './options';
import { createWakeup, sleep } from './wakeup';
import { notifyRelays } from '../wake-relay';

/**
 * Starts the outbox relay of one store: woken by NOTIFY from appends (with a safety poll), or
 * directly by the appends of this process,
 * it publishes the events of each outbox row (one per append) to the bus, with msgId = event id:
 * the events of one stream in order, in a `publishAll` (one statement on the embedded bus), and up
 * to `publishWindow` streams side by side; it deletes a row once all its events are acknowledged. Bus or database outages are retried with backoff; nothing is lost.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const logger = options.logger ?? silentLogger;
  const count = options.onCounter ?? (() => undefined);
  const pollMs = options.pollIntervalMs ?? 1_000;
  const retryMinMs = options.retryMinMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5_000;
  const ctx: BatchContext = {
    pool: options.store.pool,
    schema: options.store.schema,
    bus: options.bus,
    batchSize: options.batchSize ?? 256,
    publishTimeoutMs: options.publishTimeoutMs ?? 10_000,
    publishWindow: options.publishWindow ?? 32,
  };
  const wakeup = createWakeup();
  const stopping = new AbortController();
  // This process's appends to the store wake the relay directly, and skip their NOTIFY while it holds the lock.
  const local = localRelays(ctx.pool, ctx.schema).join(() => wakeup.wake());
  let held = false;
  /**
   * Says whether the last batch held the relay lock. On losing it (another replica relays now), the
   * appends that counted on this relay and sent no NOTIFY are passed on with one, to wake that replica.
   */
  const holding = (now: boolean): void => {
    local.holding(now);
    if (held && !now) notifyRelays(ctx.pool, outboxChannel(ctx.schema)).catch(() => undefined);
    held = now;
  };

  const listener = listenForNotifications({
    config: options.store.pool.options as ClientConfig,
    channel: outboxChannel(ctx.schema),
    onNotify: () => wakeup.wake(),
    onReconnect: () => count('listener_reconnects', 1),
    logger,
    minDelayMs: retryMinMs,
    maxDelayMs: retryMaxMs,
  });

  const loop = async (): Promise<void> => {
    let failures = 0;
    const backOff = (): Promise<void> => sleep(Math.min(retryMinMs * 2 ** Math.min(failures - 1, 20), retryMaxMs), stopping.signal);
    while (!stopping.signal.aborted) {
      let outcome;
      try {
        outcome = await relayBatch(ctx);
      } catch (error) {
        holding(false);
        failures++;
        count('batch_failures', 1);
        logger.warn({ err: error, failures }, 'outbox relay batch failed');
        await backOff();
        continue;
      }
      holding(outcome.locked);
      if (outcome.published > 0) {
        count('published', outcome.published);
        count('batches', 1);
      }
      if (outcome.duplicates > 0) count('duplicates', outcome.duplicates);
      if (outcome.error !== undefined) {
        // Backing off, it relays nothing: appends wake other replicas again meanwhile.
        holding(false);
        failures++;
        count('publish_failures', 1);
        logger.warn({ err: outcome.error, failures, published: outcome.published }, 'outbox relay could not publish');
        await backOff();
        continue;
      }
      failures = 0;
      if (!outcome.locked) await sleep(pollMs, stopping.signal);
      else if (!outcome.full) await wakeup.wait(pollMs); // stop() wakes it too
    }
  };

  const running = loop().catch((error: unknown) => {
    holding(false);
    local.leave();
    logger.error({ err: error }, 'outbox relay stopped unexpectedly');
  });
  logger.info({ schema: ctx.schema }, 'outbox relay started');

  return {
    stop: async () => {
      stopping.abort();
      wakeup.wake();
      await running;
      // Another replica takes over: it hears of the appends that counted on this one.
      holding(false);
      local.leave();
      await listener.close();
      logger.info({ schema: ctx.schema }, 'outbox relay stopped');
    },
  };
}
