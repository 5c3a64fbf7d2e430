import { Pool } from 'pg';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { loadGatewayConfig, startGateway, type Gateway } from '@cadre/gateway';
import { loadIdentityConfig, startIdentity } from '@cadre/identity';
import { silentLogger } from '@cadre/logging';
import type { Service } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';

export type Transport = 'embedded' | 'nats';

export interface SystemOptions {
  readonly transport: Transport;
  /** Variables for the services' configs, over the test defaults (e.g. `{ SSE_HEARTBEAT_MS: '50' }`). */
  readonly env?: Readonly<Record<string, string>>;
}

/** Cadre started in this process: the bus, identity and the gateway on a free port. */
export interface System {
  readonly transport: Transport;
  /** `http://127.0.0.1:<port>` of the gateway. */
  readonly baseUrl: string;
  /** A bus of its own, connected like any other service's (tests publish and query through it). */
  readonly bus: Bus;
  readonly database: TestDatabase;
  readonly nats: TestNats | undefined;
  readonly gateway: Gateway;
  readonly identity: Service;
  stop(): Promise<void>;
}

/** Both transports, for `describe.each(TRANSPORTS)`. */
export const TRANSPORTS: readonly Transport[] = ['embedded', 'nats'];

const DEFAULT_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  ENGINE_INTERNAL_TOKEN: 'engine-internal-token-for-tests',
};

/**
 * Starts the system the way the composition roots do. Embedded: one in-process bus on a fresh
 * database, shared by every part. NATS: a nats-server of this suite, one connection per part
 * (as separate processes would have), and the same kind of fresh database.
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const env = { ...DEFAULT_ENV, ...options.env };
  const database = await createTestDatabase('cadre_e2e');
  const nats = options.transport === 'nats' ? await startNats() : undefined;
  const connect = async (name: string): Promise<Bus> =>
    nats ? connectNatsBus({ servers: nats.url, name }) : createEmbeddedBus({ databaseUrl: database.url });
  const identityBus = await connect('identity');
  const gatewayBus = nats ? await connect('gateway') : identityBus;
  const testBus = nats ? await connect('test') : identityBus;
  const identityPool = new Pool({ connectionString: database.url, max: 5 });
  const gatewayPool = new Pool({ connectionString: database.url, max: 2 });
  const logger = silentLogger();

  const identity = await startIdentity({ bus: identityBus, pool: identityPool, logger, instance: 'identity-test' }, loadIdentityConfig(env));
  const gateway = await startGateway({ bus: gatewayBus, pool: gatewayPool, logger, instance: 'gateway-test' }, loadGatewayConfig(env));

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    // The gateway first (it stops taking requests), then the service it calls, then the infrastructure.
    await gateway.service.shutdown('test over');
    await identity.shutdown('test over');
    await Promise.allSettled([identityBus.drain(), gatewayBus.drain(), testBus.drain()]);
    await Promise.allSettled([identityPool.end(), gatewayPool.end()]);
    await nats?.dispose();
    await database.dispose();
  };
  return {
    transport: options.transport,
    baseUrl: gateway.url,
    bus: testBus,
    database,
    nats,
    gateway,
    identity,
    stop: () => (stopping ??= stop()),
  };
}
