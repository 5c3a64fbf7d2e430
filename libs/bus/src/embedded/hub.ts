import type { ClientConfig, Pool } from 'pg';
import { startListener, type Listener } from './listener';
import type { BusLogger } from '../logger';
import { RpcRegistry } from './rpc-registry';
import { EphemeralHub } from './ephemeral';
import { Pulse } from './wakeup';

/**
 * What the buses of one process on one database + schema share: the request/reply registry,
 * ephemeral pub/sub, wake-up pulses and one LISTEN connection. In embedded mode the database
 * plays the broker, so buses on the same one see each other like NATS clients of one server.
 */
export interface Hub {
  readonly key: string;
  readonly rpc: RpcRegistry;
  readonly ephemeral: EphemeralHub;
  readonly listener: Listener;
  /** Pulse of a channel: `events`, `jobs:<queue>`, or `connected` (the listener (re)connected). */
  pulse(channel: string): Pulse;
}

interface Entry {
  readonly hub: Hub;
  refs: number;
}

const hubs = new Map<string, Entry>();
const poolIds = new WeakMap<Pool, number>();
let nextPoolId = 1;

/** The registry key of a database + schema, from its URL or (for an adopted pool) its settings. */
export function hubKey(schema: string, databaseUrl: string | undefined, pool: Pool | undefined): string {
  const options = pool?.options;
  const target = databaseUrl ?? options?.connectionString
    ?? (options?.host !== undefined ? `${options.user ?? ''}@${options.host}:${options.port ?? 5432}/${options.database ?? ''}` : undefined);
  if (target !== undefined) return `${target}#${schema}`;
  // Nothing to recognise the database by: buses sharing this pool object share the hub.
  let id = pool === undefined ? undefined : poolIds.get(pool);
  if (pool !== undefined && id === undefined) poolIds.set(pool, (id = nextPoolId++));
  return `pool:${id ?? 0}#${schema}`;
}

export interface AcquireHubOptions {
  readonly key: string;
  readonly channel: string;
  readonly clientConfig: ClientConfig;
  readonly logger: BusLogger;
}

/** The hub of a key, created on first use; pair with releaseHub. */
export function acquireHub(options: AcquireHubOptions): Hub {
  const existing = hubs.get(options.key);
  if (existing) {
    existing.refs++;
    return existing.hub;
  }
  const pulses = new Map<string, Pulse>();
  const pulse = (channel: string): Pulse => {
    let found = pulses.get(channel);
    if (!found) pulses.set(channel, (found = new Pulse()));
    return found;
  };
  const listener = startListener({
    config: options.clientConfig,
    channel: options.channel,
    logger: options.logger,
    onNotify: (payload) => {
      if (payload === undefined) {
        for (const p of pulses.values()) p.notify();
      } else if (payload === 'e') {
        pulse('events').notify();
      } else if (payload.startsWith('j:')) {
        pulse(`jobs:${payload.slice(2)}`).notify();
      }
    },
  });
  const hub: Hub = { key: options.key, rpc: new RpcRegistry(), ephemeral: new EphemeralHub(options.logger), listener, pulse };
  hubs.set(options.key, { hub, refs: 1 });
  return hub;
}

/** Drops one reference; the last one stops the listener. */
export async function releaseHub(hub: Hub): Promise<void> {
  const entry = hubs.get(hub.key);
  if (!entry || entry.hub !== hub) return;
  entry.refs--;
  if (entry.refs > 0) return;
  hubs.delete(hub.key);
  await hub.listener.stop();
}
