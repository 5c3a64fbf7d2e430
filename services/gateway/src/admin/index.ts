import type { Bus, Subscription } from '@cadre/bus';
import { startInstanceRegistry } from '@cadre/runtime';
import type { LocalHandler } from '../http/router';
import { deadLetterHandlers } from './dead-letters';
import { containerLogStreams } from './logs';

export interface AdminOptions {
  readonly bus: Bus;
  readonly timeoutMs: number;
  readonly heartbeatMs: number;
  readonly bufferLimit: number;
  /** Follow lease asked of an instance (default 30 s). */
  readonly leaseMs?: number;
}

export interface Admin {
  /** Handlers by operationId, for the route table. */
  readonly handlers: Readonly<Record<string, LocalHandler>>;
  /** Stops the registry and ends the log streams (the runtime stops it first on shutdown). */
  readonly subscription: Subscription;
}

/** The admin routes the gateway answers itself: the instance registry, the log streams and the dead letters. */
export function startAdmin(options: AdminOptions): Admin {
  const registry = startInstanceRegistry({ bus: options.bus });
  const logs = containerLogStreams({ ...options, registry });
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let stopping: Promise<void> | undefined;
  return {
    handlers: {
      listContainers: (_req, res) => {
        res.setHeader('Cache-Control', 'no-store');
        res.status(200).json({ containers: registry.list() });
      },
      streamContainerLogs: logs.handler,
      ...deadLetterHandlers(options.bus),
    },
    subscription: {
      closed,
      stop: () => (stopping ??= (async () => {
        logs.closeAll();
        await registry.stop();
        resolveClosed();
      })()),
    },
  };
}
