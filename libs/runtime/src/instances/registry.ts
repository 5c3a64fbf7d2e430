import type { Bus, Subscription } from '@cadre/bus';
import { encodeJson } from '@cadre/bus';
import { adminSubjects, InstanceInfo, type ContainerView } from '@cadre/proto';

export interface InstanceRegistryOptions {
  readonly bus: Bus;
  /** Without a heartbeat for this long an instance is `stale` (default 15 s: three heartbeats). */
  readonly staleAfterMs?: number;
  /** And forgotten after this long (default 10 min). */
  readonly forgetAfterMs?: number;
  readonly now?: () => number;
}

export interface InstanceRegistry {
  /** Every known instance, by service then id. */
  list(): ContainerView[];
  get(id: string): ContainerView | undefined;
  stop(): Promise<void>;
}

/**
 * The running instances as their heartbeats tell: kept in memory by whoever asks (the
 * gateway), filled at start by a ping every instance answers, so any replica knows them all
 * within a round trip and nothing is stored.
 */
export function startInstanceRegistry(options: InstanceRegistryOptions): InstanceRegistry {
  const { bus } = options;
  const now = options.now ?? Date.now;
  const staleAfter = options.staleAfterMs ?? 15_000;
  const forgetAfter = options.forgetAfterMs ?? 600_000;
  const seen = new Map<string, { info: InstanceInfo; at: number }>();

  const parse = (data: unknown): InstanceInfo | undefined => {
    const result = InstanceInfo.safeParse(data);
    return result.success ? result.data : undefined;
  };
  const subscriptions: Subscription[] = [
    bus.ephemeral.subscribe(adminSubjects.heartbeatFilter, (message) => {
      const info = parse(message.json());
      if (info) seen.set(info.id, { info, at: now() });
    }),
    bus.ephemeral.subscribe(adminSubjects.goneFilter, (message) => {
      const info = parse(message.json());
      if (info) seen.delete(info.id);
    }),
  ];
  try {
    bus.ephemeral.publish(adminSubjects.ping, encodeJson({}));
  } catch {
    // Heartbeats come anyway.
  }

  const view = (entry: { info: InstanceInfo; at: number }): ContainerView => ({
    ...entry.info,
    status: now() - entry.at > staleAfter ? 'stale' : 'live',
  });
  const prune = () => {
    for (const [id, entry] of seen) if (now() - entry.at > forgetAfter) seen.delete(id);
  };

  return {
    list() {
      prune();
      return [...seen.values()].map(view).sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
    },
    get(id) {
      prune();
      const entry = seen.get(id);
      return entry ? view(entry) : undefined;
    },
    async stop() {
      await Promise.allSettled(subscriptions.map((s) => s.stop()));
    },
  };
}
