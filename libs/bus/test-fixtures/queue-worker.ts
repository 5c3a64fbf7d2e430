/**
 * A worker process for the kill test: connects to NATS, works one queue, and reports each
 * attempt on `<report>.started` / `<report>.completed`.
 * Usage: queue-worker.ts <nats-url> <queue> <report-subject> <slow|fast>
 *   slow: heartbeats forever and never finishes (to be killed mid-job); fast: completes at once.
 */
import { connectNatsBus } from '../src/nats';

async function main(): Promise<void> {
  const [servers, queue, report, mode] = process.argv.slice(2);
  if (!servers || !queue || !report || (mode !== 'slow' && mode !== 'fast')) throw new Error('usage: queue-worker <url> <queue> <report> <slow|fast>');
  const bus = await connectNatsBus({ servers, name: `queue-worker-${mode}-${process.pid}` });
  const say = (what: string, attemptId: string): void =>
    bus.ephemeral.publish(`${report}.${what}`, new TextEncoder().encode(JSON.stringify({ attemptId, pid: process.pid, mode })));

  await bus.workQueue(queue).process(
    async (job) => {
      say('started', job.attemptId);
      if (mode === 'slow') {
        for (;;) {
          await new Promise((r) => setTimeout(r, 300));
          await job.working();
        }
      }
      say('completed', job.attemptId);
    },
    { ackWaitMs: 1_500, maxAttempts: 5 },
  );
  process.once('SIGTERM', () => {
    void bus.drain().then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`queue-worker failed: ${String(error)}\n`);
  process.exit(1);
});
