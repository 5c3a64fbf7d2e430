import { createPool } from '@cadre/runtime';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import { gatewayRoutes, type RouteDefinition } from '@cadre/proto';
import { startService, type Service } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { loadGatewayConfig, startGateway, type Gateway } from '../src';
import type { RequestHandler } from '@cadre/bus';

/** A gateway on a real bus with a small test service behind it (identity is not needed here). */
export interface GatewayHarness {
  readonly baseUrl: string;
  readonly bus: Bus;
  readonly gateway: Gateway;
  stop(): Promise<void>;
}

export async function startGatewayHarness(options: {
  readonly transport: 'embedded' | 'nats';
  readonly routes: readonly RouteDefinition[];
  readonly handlers: Readonly<Record<string, RequestHandler>>;
  readonly env?: Readonly<Record<string, string>>;
}): Promise<GatewayHarness> {
  const database: TestDatabase = await createTestDatabase('cadre_gw');
  const nats: TestNats | undefined = options.transport === 'nats' ? await startNats() : undefined;
  const connect = (name: string): Promise<Bus> => (nats ? connectNatsBus({ servers: nats.url, name }) : createEmbeddedBus({ databaseUrl: database.url }));
  const bus = await connect('test');
  const gatewayBus = nats ? await connect('gateway') : bus;
  const pool = createPool({ connectionString: database.url, max: 2 });
  const logger = silentLogger();
  const service: Service = await startService({ name: 'test', version: '1.0.0', instance: 'test-1', bus, logger });
  if (Object.keys(options.handlers).length > 0) await service.handle(options.handlers);
  const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_ENABLED: 'false', ...options.env });
  const gateway = await startGateway({ bus: gatewayBus, pool, logger, instance: 'gateway-test' }, config, {
    routes: [...gatewayRoutes, ...options.routes],
  });
  return {
    baseUrl: gateway.url,
    bus,
    gateway,
    async stop() {
      await gateway.service.shutdown('test over');
      await service.shutdown('test over');
      await Promise.allSettled([bus.drain(), gatewayBus.drain()]);
      await pool.end();
      await nats?.dispose();
      await database.dispose();
    },
  };
}
