/**
 * A process to kill -9 (embedded-restart.int.test.ts). It consumes a durable, acking only the
 * messages whose data says so, and starts a job it never finishes; it prints what it got.
 * Its safety poll is a minute long, so it only sees new work through Postgres NOTIFY.
 * Usage: crash-child.ts <databaseUrl> <durable> <filter> <queue>
 */
import { createEmbeddedBus } from '../src';

async function main(): Promise<void> {
  const [databaseUrl, durable, filterSubject, queue] = process.argv.slice(2);
  if (!databaseUrl || !durable || !filterSubject || !queue) throw new Error('usage: crash-child <url> <durable> <filter> <queue>');
  const bus = await createEmbeddedBus({ databaseUrl, pollIntervalMs: 60_000 });
  await bus.events.consume({ durable, filterSubject, ackWaitMs: 1_500 }, async (m) => {
    const { ack } = m.json<{ ack: boolean }>();
    if (ack) await m.ack();
    process.stdout.write(`got ${m.seq} ${ack ? 'acked' : 'held'}\n`);
  });
  await bus.workQueue(queue).process(async (job) => {
    process.stdout.write(`job ${job.jobId} ${job.attempt}\n`);
    await new Promise(() => undefined);
  }, { ackWaitMs: 1_500 });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
