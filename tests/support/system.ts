import { createPool } from '@cadre/runtime';
import type { Pool } from 'pg';
import { loadAgentsConfig, startAgents, type AgentTool, type AgentsService } from '@cadre/agents';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { loadGatewayConfig, startGateway, type Gateway } from '@cadre/gateway';
import { loadIdentityConfig, startIdentity } from '@cadre/identity';
import { silentLogger } from '@cadre/logging';
import { loadRunsConfig, startRuns } from '@cadre/runs';
import type { Service, ServiceDeps } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';

export type Transport = 'embedded' | 'nats';

export interface SystemOptions {
  readonly transport: Transport;
  /** Variables for the services' configs, over the test defaults (e.g. `{ SSE_HEARTBEAT_MS: '50' }`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Also start the runs and agents services (pipelines, runs, steps, agents, the executor, LLM
   * calls). Off by default, so suites that publish raw run events keep a quiet system. The
   * providers come from `env` (`OPENAI_BASE_URL`, …); `tools` are installed in the agents service.
   */
  readonly orchestration?: { readonly tools?: readonly AgentTool[] };
  /** NATS: a nats-server of this suite that it may stop and start (`system.nats`), even when NATS_URL is set. */
  readonly controllableNats?: boolean;
}

/** Domains of the orchestration services: runs answers `runs.*` and `pipelines.*`, agents `agents.*`. */
export type ReplicaDomain = 'runs' | 'agents';

type Env = Readonly<Record<string, string>>;

/**
 * The domain services a system runs behind the gateway, started in this order (stopped in
 * reverse). A new service appends itself here; tests walk the routes of `system.domains`.
 */
const SERVICES: ReadonlyArray<{ readonly domain: string; start(deps: ServiceDeps, env: Env): Promise<Service> }> = [
  { domain: 'identity', start: (deps, env) => startIdentity(deps, loadIdentityConfig(env)) },
];

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
  const database = await createTestDatabase('cadre_e2e');
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
    return { bus, pool, logger: silentLogger(), instance: `${name}-test` };
  };
  const services: Record<string, Service> = {};
  for (const service of SERVICES) services[service.domain] = await service.start(await depsFor(service.domain), env);
  // Orchestration: runs and agents, and any replicas a test adds (stopped before the first ones).
  const tools = options.orchestration?.tools ?? [];
  const startReplica = async (domain: ReplicaDomain, name: string, extra: Env = {}): Promise<Service> => {
    const deps = await depsFor(name);
    const replicaEnv = { ...env, ...extra };
    return domain === 'runs'
      ? startRuns(deps, loadRunsConfig(replicaEnv))
      : startAgents(deps, loadAgentsConfig(replicaEnv), { tools });
  };
  const orchestration: Service[] = [];
  let agents: AgentsService | undefined;
  if (options.orchestration) {
    orchestration.push(services.runs = await startReplica('runs', 'runs'));
    orchestration.push(services.agents = agents = (await startReplica('agents', 'agents')) as AgentsService);
  }
  const extraReplicas: Service[] = [];
  const addReplica = async (domain: ReplicaDomain, extra: Env = {}): Promise<Service> => {
    const replica = await startReplica(domain, `${domain}-${extraReplicas.length + 2}`, extra);
    extraReplicas.push(replica);
    return replica;
  };
  const gateway = await startGateway(await depsFor('gateway'), loadGatewayConfig(env));
  const testBus = embeddedBus ?? (await connect('test'));
  if (!opened.includes(testBus)) opened.push(testBus);

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    // The gateway first (it stops taking requests), then the services it calls, then the infrastructure.
    await gateway.service.shutdown('test over');
    for (const replica of [...extraReplicas, ...orchestration].reverse()) await replica.shutdown('test over');
    for (const service of [...SERVICES].reverse()) await services[service.domain]!.shutdown('test over');
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
    domains: [...SERVICES.map((service) => service.domain), ...(options.orchestration ? ['runs', 'pipelines', 'agents'] : [])],
    services,
    agents,
    addReplica,
    stop: () => (stopping ??= stop()),
  };
}
