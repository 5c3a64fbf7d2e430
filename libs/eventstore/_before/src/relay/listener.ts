import { Client, type ClientConfig } from 'pg';
import type { RelayLogger } from './options';

export interface ListenerOptions {
  readonly config: ClientConfig;
  readonly channel: string;
  /** Called on every notification and after each (re)connect, when some may have been missed. */
  readonly onNotify: () => void;
  readonly onReconnect?: () => void;
  readonly logger: RelayLogger;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export interface NotificationListener {
  close(): Promise<void>;
}

/**
 * LISTENs on a dedicated connection (a pooled one would be handed to others and lose the
 * subscription) and reconnects with backoff whenever the server goes away.
 */
export function listenForNotifications(options: ListenerOptions): NotificationListener {
  let closed = false;
  let client: Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = options.minDelayMs;
  let everConnected = false;

  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => void connect(), delay);
    delay = Math.min(delay * 2, options.maxDelayMs);
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const candidate = new Client({ ...options.config, keepAlive: true });
    let lost = false;
    const onLost = (error?: unknown): void => {
      if (lost) return;
      lost = true;
      if (client === candidate) client = undefined;
      if (!closed) options.logger.warn({ err: error }, 'outbox listener lost its connection');
      candidate.end().catch(() => undefined);
      schedule();
    };
    candidate.on('error', onLost);
    candidate.on('end', () => onLost());
    candidate.on('notification', () => options.onNotify());
    try {
      await candidate.connect();
      await candidate.query(`LISTEN "${options.channel}"`);
    } catch (error) {
      onLost(error);
      return;
    }
    if (closed || lost) {
      await candidate.end().catch(() => undefined);
      return;
    }
    client = candidate;
    delay = options.minDelayMs;
    if (everConnected) options.onReconnect?.();
    everConnected = true;
    options.onNotify();
  };

  void connect();
  return {
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}
