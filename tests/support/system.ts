import type { Pool } from 'pg';
import { agentsService, type AgentTool, type AgentsService, type AgentsServiceOptions } from '@cadre/agents';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { registry as cadreRegistry } from '@cadre/cadre';
import { loadGatewayConfig, startGateway, type Gateway } from '@cadre/gateway';
import { identityService } from '@cadre/identity';
import { findService, gatewayView, startDefinedService, type AnyServiceDefinition, type ServiceRegistry } from '@cadre/kit';
import { createLogger, silentLogger } from '@cadre/logging';
import { runsService } from '@cadre/runs';
import { swarmsService } from '@cadre/swarms';
import { createPool, type Service, type ServiceDeps } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';

export type Transport = 'embedded' | 'nats';

export interface SystemOptions {
  readonly transport: Transport;
  /** Variables for the services' configs, over the test defaults (e.g. `{ SSE_HEARTBEAT_MS: '50' }`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Also start the runs, agents and swarms services (pipelines, runs, steps, agents, the executor, LLM
   * calls). Off by default, so suites that publish raw run events keep a quiet system. The
   * providers come from `env` (`OPENAI_BASE_URL`, …); `tools` are installed in the agents service.
   */
  readonly orchestration?: { readonly tools?: readonly AgentTool[] };
  /** NATS: a nats-server of this suite that it may stop and start (`system.nats`), even when NATS_URL is set. */
  readonly controllableNats?: boolean;
  /**
   * The deployment's services (default Cadre's registry), e.g. `[...registry, testService]` for
   * a service defined in a test: the gateway mounts all their routes and follows their event
   * domains' visibility. With a registry given, every service of it runs; without, identity
   * (plus runs and agents with `orchestration`) — the others' routes answer 503.
   */
  readonly registry?: ServiceRegistry;
  /** Every log line of every part (JSON, debug level and up); without it the parts log nothing. */
  readonly logSink?: (line: string) => void;
  /** The Postgres server the suite's database is made on (e.g. `startPgvectorPostgres().url`); the shared test server by default. */
  readonly databaseServer?: string;
}

/** Domains of the orchestration services: runs answers `runs.*` and `pipelines.*`, agents `agents.*`. */
export type ReplicaDomain = 'runs' | 'agents' | 'memory';

type Env = Readonly<Record<string, string>>;

/** The services a system runs: the given registry, else identity (and runs and agents for orchestration), in the registry's order. */
function servicesOf(options: SystemOptions): ServiceRegistry {
  if (options.registry) return options.registry;
  const wanted: readonly AnyServiceDefinition[] = options.orchestration ? [identityService, runsService, agentsService, swarmsService] : [identityService];
  return cadreRegistry.filter((definition) => wanted.includes(definition));
}

/** Cadre started in this process: the bus, the domain services and the gateway on a free port. */
export interface System {
  readonly transport: Transport;
  /** `http://127.0.0.1:<port>` of the gateway. */
  readonly baseUrl: string;
  /** A bus of its own, connected like any other service's (tests publish and query through it). */
  readonly bus: Bus;
  readonly database: TestDatabase;
  readonly nats: TestNats | undefined;
  readonly gateway: Gateway;
  /** The domains whose services run (their routes get answers; others' get 503). */
  readonly domains: readonly string[];
  /** The definitions of the services that run, in start order. */
  readonly registry: ServiceRegistry;
  readonly services: Readonly<Record<string, Service>>;
  /** The agents service (with its tool registry), when `orchestration` was asked for. */
  readonly agents: AgentsService | undefined;
  /** Starts one more replica of runs or agents, with its own bus connection (NATS) and pool; stopped with the system. */
  addReplica(domain: ReplicaDomain, env?: Env): Promise<Service>;
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
  const database = await createTestDatabase('cadre_e2e', options.databaseServer);
  const nats = options.transport === 'nats' ? await startNats({ controllable: options.controllableNats ?? false }) : undefined;
  const connect = async (name: string): Promise<Bus> =>
    nats ? connectNatsBus({ servers: nats.url, name }) : createEmbeddedBus({ databaseUrl: database.url });
  const opened: Bus[] = [];
  const pools: Pool[] = [];
  const embeddedBus = nats ? undefined : await connect('embedded');
  // NATS: a connection and a pool per part, as separate processes would have; embedded: one bus.
  const depsFor = async (name: string): Promise<ServiceDeps> => {
    const bus = embeddedBus ?? (await connect(name));
    if (!opened.includes(bus)) opened.push(bus);
    const pool = createPool({ connectionString: database.url, max: 5 });
    // Dropping the database at the end cuts every connection, idle ones (reported by the pool)
    // and checked-out ones (reported by the client): expected then, not a failure.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    pools.push(pool);
    const sink = options.logSink;
    const logger = sink ? createLogger({ service: name, instance: `${name}-test`, level: 'debug', destination: { write: (line: string) => sink(line) } }) : silentLogger();
    return { bus, pool, logger, instance: `${name}-test` };
  };
  const registry = servicesOf(options);
  const tools = options.orchestration?.tools ?? [];
  const startOne = async (definition: AnyServiceDefinition, name: string, extra: Env = {}): Promise<Service> => {
    const serviceOptions: AgentsServiceOptions | undefined = definition === agentsService ? { tools } : undefined;
    const started = await startDefinedService(definition, await depsFor(name), { env: { ...env, ...extra }, options: serviceOptions });
    return definition === agentsService ? Object.assign(started, { tools: (started.context as { tools: AgentsService['tools'] }).tools }) : started;
  };
  const services: Record<string, Service> = {};
  const started: Service[] = [];
  for (const definition of registry) started.push(services[definition.name] = await startOne(definition, definition.name));
  const agents = services.agents as AgentsService | undefined;
  // Replicas a test adds (stopped before the first ones).
  const extraReplicas: Service[] = [];
  const addReplica = async (domain: ReplicaDomain, extra: Env = {}): Promise<Service> => {
    const definition = findService(registry, domain);
    if (!definition) throw new Error(`no ${domain} service in this system`);
    const replica = await startOne(definition, `${domain}-${extraReplicas.length + 2}`, extra);
    extraReplicas.push(replica);
    return replica;
  };
  const gateway = await startGateway(await depsFor('gateway'), loadGatewayConfig(env), { services: gatewayView(options.registry ?? cadreRegistry) });
  const testBus = embeddedBus ?? (await connect('test'));
  if (!opened.includes(testBus)) opened.push(testBus);

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    // The gateway first (it stops taking requests), then the services it calls, then the infrastructure.
    await gateway.service.shutdown('test over');
    for (const replica of [...extraReplicas].reverse()) await replica.shutdown('test over');
    for (const service of [...started].reverse()) await service.shutdown('test over');
    await Promise.allSettled(opened.map((bus) => bus.drain()));
    await Promise.allSettled(pools.map((pool) => pool.end()));
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
    domains: [...new Set(registry.flatMap((definition) => definition.routes.map((route) => route.message!.domain)))],
    registry,
    services,
    agents,
    addReplica,
    stop: () => (stopping ??= stop()),
  };
}
