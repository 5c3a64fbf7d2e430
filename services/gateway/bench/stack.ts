import pino from 'pino';
import { Pool } from 'pg';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { loadIdentityConfig, startIdentity } from '@cadre/identity';
import { createLogger, silentLogger } from '@cadre/logging';
import { allRoutes } from '@cadre/proto';
import type { Service } from '@cadre/runtime';
import { createTestDatabase, startNats } from '@cadre/testing';
import { loadGatewayConfig, startGateway, type Gateway } from '../src';
import { addNoteRoute, startNoteService, type NoteService } from './note-service';

/** Identity, the note service and a gateway on one transport; an admin token to call it with. */
export interface BenchStack {
  readonly gateway: Gateway;
  readonly bus: Bus;
  readonly notes: NoteService;
  readonly token: string;
  stop(): Promise<void>;
}

export async function startStack(transport: 'nats' | 'embedded', env: Record<string, string> = {}): Promise<BenchStack> {
  const database = await createTestDatabase('cadre_bench');
  const nats = transport === 'nats' ? await startNats({ controllable: true }) : undefined;
  const connect = (name: string): Promise<Bus> => (nats ? connectNatsBus({ servers: nats.url, name }) : createEmbeddedBus({ databaseUrl: database.url }));
  const identityBus = await connect('identity');
  const gatewayBus = nats ? await connect('gateway') : identityBus;
  const notesBus = nats ? await connect('notes') : identityBus;
  const pool = new Pool({ connectionString: database.url, max: 20 });
  const identity: Service = await startIdentity({ bus: identityBus, pool, logger: silentLogger(), instance: 'identity-bench' }, loadIdentityConfig({}));
  const notes = await startNoteService(notesBus, pool);
  // The access log is part of a request's cost: written, to nowhere.
  const logger = createLogger({ service: 'gateway', level: 'info', destination: pino.destination({ dest: '/dev/null', sync: false }) });
  const gateway = await startGateway(
    { bus: gatewayBus, pool, logger, instance: 'gateway-bench' },
    loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', SSE_MAX_CLIENTS: '5000', ...env }),
    { routes: [...allRoutes, addNoteRoute] },
  );
  const setup = await fetch(`${gateway.url}/v1/auth/setup`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password: 'bench password 123' }),
  });
  const token = ((await setup.json()) as { access_token: string }).access_token;
  return {
    gateway, bus: notesBus, notes, token,
    async stop() {
      await gateway.service.shutdown('bench over');
      await notes.stop();
      await identity.shutdown('bench over');
      await Promise.allSettled([identityBus.drain(), gatewayBus.drain(), notesBus.drain()]);
      await pool.end();
      await nats?.dispose();
      await database.dispose();
    },
  };
}
