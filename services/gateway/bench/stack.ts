import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { Pool } from 'pg';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { loadIdentityConfig, startIdentity } from '@cadre/identity';
import { createLogger, silentLogger } from '@cadre/logging';
import { allRoutes } from '@cadre/proto';
import { createTestDatabase, startNats, type TestDatabase } from '@cadre/testing';
import { loadGatewayConfig, startGateway, type Gateway } from '../src';
import { addNoteRoute, echoRoute, startNoteService } from './note-service';

/** A gateway with identity and the note service behind it; an admin token to call it with. */
export interface BenchStack {
  readonly gateway: Gateway;
  /** A bus connection of the bench itself (to publish straight on the stream). */
  readonly bus: Bus;
  readonly token: string;
  /** The NATS server's URL (NATS stacks only), for the raw nats.js baseline. */
  readonly natsUrl?: string;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..', '..');

async function gatewayOn(bus: Bus, pool: Pool, env: Record<string, string>): Promise<{ gateway: Gateway; token: string }> {
  // The access log is part of a request's cost: written, to nowhere.
  const logger = createLogger({ service: 'gateway', level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const gateway = await startGateway(
    { bus, pool, logger, instance: 'gateway-bench' },
    loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', SSE_MAX_CLIENTS: '5000', ...env }),
    { routes: [...allRoutes, addNoteRoute, echoRoute] },
  );
  const setup = await fetch(`${gateway.url}/v1/auth/setup`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench password 123' }),
  });
  if (setup.status !== 201) throw new Error(`setup: ${setup.status} ${await setup.text()}`);
  return { gateway, token: ((await setup.json()) as { access_token: string }).access_token };
}

async function startServicesProcess(natsUrl: string, databaseUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'services-process.ts'), natsUrl, databaseUrl], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`services process exited with ${code}`)));
  });
  return child;
}

/** Distributed: NATS, the services in a child process, the gateway in this one. */
export async function startNatsStack(env: Record<string, string> = {}): Promise<BenchStack> {
  const database: TestDatabase = await createTestDatabase('cadre_bench');
  const nats = await startNats({ controllable: true });
  const services = await startServicesProcess(nats.url, database.url);
  const gatewayBus = await connectNatsBus({ servers: nats.url, name: 'bench-gateway' });
  const bus = await connectNatsBus({ servers: nats.url, name: 'bench-client' });
  const pool = new Pool({ connectionString: database.url, max: 2 });
  // Dropping the database at the end cuts every connection: expected then, not a failure.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const { gateway, token } = await gatewayOn(gatewayBus, pool, env);
  return {
    gateway, bus, token, natsUrl: nats.url,
    async stop() {
      await gateway.service.shutdown('bench over');
      const exited = new Promise((resolve) => services.once('exit', resolve));
      services.kill('SIGTERM');
      await exited;
      await Promise.allSettled([gatewayBus.drain(), bus.drain()]);
      await pool.end();
      await nats.dispose();
      await database.dispose();
    },
  };
}

/** Embedded: one process, one in-process bus, as `npm start` runs it. */
export async function startEmbeddedStack(env: Record<string, string> = {}): Promise<BenchStack> {
  const database = await createTestDatabase('cadre_bench');
  // Over Postgres's Unix socket, as `npm start` reaches its own.
  const bus = await createEmbeddedBus({ databaseUrl: database.localUrl });
  const pool = new Pool({ connectionString: database.localUrl, max: 20 });
  // Dropping the database at the end cuts every connection: expected then, not a failure.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const identity = await startIdentity({ bus, pool, logger: silentLogger(), instance: 'identity-bench' }, loadIdentityConfig({}));
  const notes = await startNoteService(bus, pool);
  const { gateway, token } = await gatewayOn(bus, pool, env);
  return {
    gateway, bus, token,
    async stop() {
      await gateway.service.shutdown('bench over');
      await notes.stop();
      await identity.shutdown('bench over');
      await bus.drain();
      await pool.end();
      await database.dispose();
    },
  };
}
