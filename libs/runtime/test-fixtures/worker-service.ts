// A service process for the shutdown test: it takes one slow job from a work queue, says so on
// stdout, and on SIGTERM must finish that job before it exits.
import { createEmbeddedBus } from '@cadre/bus';
import { createLogger } from '@cadre/logging';
import { shutdownOnSignals, startService } from '@cadre/runtime';

async function main(): Promise<void> {
  const [databaseUrl, queueName] = process.argv.slice(2) as [string, string];
  const bus = await createEmbeddedBus({ databaseUrl });
  const logger = createLogger({ service: 'worker', level: 'warn' });
  const service = await startService({ name: 'worker', version: '1.0.0', instance: 'w1', bus, logger, shutdownGraceMs: 10_000 });
  const queue = bus.workQueue(queueName);
  service.track(
    await queue.process(async (job) => {
      process.stdout.write(`started ${job.jobId}\n`);
      await new Promise((r) => setTimeout(r, 1500));
      await bus.events.publish(`evt.test.done.${job.jobId}`, job.data, { msgId: `done-${job.jobId}` });
      process.stdout.write(`finished ${job.jobId}\n`);
    }, { ackWaitMs: 30_000 }),
  );
  shutdownOnSignals(service);
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
