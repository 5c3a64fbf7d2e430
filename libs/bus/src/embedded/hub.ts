import type { ClientConfig, Pool, PoolClient } from 'pg';
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
  /**
   * Counts the server processes of `pool` as this process's own until the returned function is
   * called: their notifications are not passed on, since what they announce (a message stored, a
   * job queued by a bus of this hub) already woke this process's loops directly, with its subjects.
   */
  ownConnections(pool: Pool): () => void;
}

interface Entry {
  readonly hub: Hub;
  refs: number;
}

const hubs = new Map<string, Entry>();
/**
 * The hubs each pool's connections are counted as own by. A pool used under two hub keys (the
 * same database named two ways) wakes only the hub of the bus that published, so the other must
 * still hear its notifications: a pool of more than one hub counts for none.
 */
const poolHubs = new WeakMap<Pool, Set<string>>();
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
  // Server process ids of the connections this hub's buses use, learnt as the pools hand them out.
  const own = new Map<number, Pool>();
  const pools = new Map<Pool, { refs: number; stop: () => void }>();
  const ownConnections = (pool: Pool): (() => void) => {
    let entry = pools.get(pool);
    if (entry === undefined) {
      const acquired = (client: PoolClient): void => {
        const pid = (client as PoolClient & { processID?: number | null }).processID;
        if (typeof pid === 'number') own.set(pid, pool);
      };
      const removed = (client: PoolClient): void => {
        const pid = (client as PoolClient & { processID?: number | null }).processID;
        if (typeof pid === 'number') own.delete(pid);
      };
      pool.on('acquire', acquired);
      pool.on('remove', removed);
      let keys = poolHubs.get(pool);
      if (keys === undefined) poolHubs.set(pool, (keys = new Set()));
      keys.add(options.key);
      const hubsOfPool = keys;
      entry = {
        refs: 0,
        stop: () => {
          pool.off('acquire', acquired);
          pool.off('remove', removed);
          hubsOfPool.delete(options.key);
        },
      };
      pools.set(pool, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--held.refs > 0) return;
      held.stop();
      pools.delete(pool);
      for (const [pid, owner] of own) if (owner === pool) own.delete(pid);
    };
  };
  const listener = startListener({
    config: options.clientConfig,
    channel: options.channel,
    logger: options.logger,
    onNotify: (payload, sender) => {
      const ownPool = sender === undefined ? undefined : own.get(sender);
      if (payload !== undefined && ownPool !== undefined && poolHubs.get(ownPool)?.size === 1) return;
      if (payload === undefined) {
        for (const p of pulses.values()) p.notify();
      } else if (payload === 'e') {
        pulse('events').notify();
      } else if (payload.startsWith('j:')) {
        pulse(`jobs:${payload.slice(2)}`).notify();
      }
    },
  });
  const hub: Hub = { key: options.key, rpc: new RpcRegistry(), ephemeral: new EphemeralHub(options.logger), listener, pulse, ownConnections };
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
