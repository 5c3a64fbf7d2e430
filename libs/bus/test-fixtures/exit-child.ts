/**
 * A process that exits in the turn it published in (transport.int.test.ts): it publishes
 * "first" (written at once) and "last" (held to the turn's end) to the subject, then calls
 * `process.exit` without closing its connection.
 * Usage: exit-child.ts <natsUrl> <subject>
 */
import { connectCoalesced } from '../src/nats/transport';

async function main(): Promise<void> {
  const [servers, subject] = process.argv.slice(2);
  if (!servers || !subject) throw new Error('usage: exit-child <natsUrl> <subject>');
  const nc = await connectCoalesced({ servers });
  await new Promise((resolve) => setTimeout(resolve, 10));
  for (const words of ['first', 'last']) {
    nc.publish(subject, new TextEncoder().encode(words));
    await Promise.resolve();
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
