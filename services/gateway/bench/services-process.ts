import { Pool } from 'pg';
import { connectNatsBus } from '@cadre/bus';
import { loadIdentityConfig, startIdentity } from '@cadre/identity';
import { silentLogger } from '@cadre/logging';
import { startNoteService } from './note-service';

/**
 * The services behind the gateway in a process of their own, as in a distributed deployment:
 * identity (credentials) and the note service (the command under test).
 * Usage: node --import tsx services-process.ts <nats-url> <database-url>
 */
async function main(): Promise<void> {
  const [natsUrl, databaseUrl] = process.argv.slice(2);
  if (!natsUrl || !databaseUrl) throw new Error('usage: services-process <nats-url> <database-url>');
  const pool = new Pool({ connectionString: databaseUrl, max: 20 });
  // Dropping the database at the end cuts every connection: expected then, not a failure.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const identityBus = await connectNatsBus({ servers: natsUrl, name: 'bench-identity' });
  const notesBus = await connectNatsBus({ servers: natsUrl, name: 'bench-notes' });
  const identity = await startIdentity({ bus: identityBus, pool, logger: silentLogger(), instance: 'identity-bench' }, loadIdentityConfig({}));
  const notes = await startNoteService(notesBus, pool);
  process.once('SIGTERM', () => {
    void (async () => {
      await notes.stop();
      await identity.shutdown('bench over');
      await Promise.allSettled([identityBus.drain(), notesBus.drain()]);
      await pool.end();
      process.exit(0);
    })();
  });
  console.log('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
