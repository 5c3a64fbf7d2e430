import { Client, type ClientConfig } from 'pg';
import type { BusLogger } from '../logger';
import { sleep } from '../timing';

/** A LISTEN connection that reconnects by itself; `connected` is false while it is down. */
export interface Listener {
  readonly connected: boolean;
  /** Resolves once the first connection is listening (or the listener was stopped). */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export interface ListenerOptions {
  readonly config: ClientConfig;
  readonly channel: string;
  readonly logger: BusLogger;
  /**
   * A notification's payload and the server process that sent it, or undefined after a
   * (re)connect: anything may have been missed.
   */
  readonly onNotify: (payload: string | undefined, sender?: number) => void;
}

/** Starts listening on `channel`; notifications from other processes wake this one's loops. */
export function startListener(options: ListenerOptions): Listener {
  const { config, channel, logger, onNotify } = options;
  const stopper = new AbortController();
  let connected = false;
  let client: Client | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const session = async (): Promise<void> => {
    const current = new Client({ ...config, connectionTimeoutMillis: 5_000 });
    client = current;
    const lost = new Promise<void>((resolve) => {
      current.on('error', () => resolve());
      current.on('end', () => resolve());
    });
    current.on('notification', (message) => onNotify(message.payload ?? '', message.processId));
    await current.connect();
    await current.query(`LISTEN "${channel}"`);
    connected = true;
    markReady();
    onNotify(undefined);
    await Promise.race([lost, new Promise((resolve) => stopper.signal.addEventListener('abort', resolve, { once: true }))]);
    connected = false;
    await current.end().catch(() => undefined);
  };

  const loop = async (): Promise<void> => {
    let backoff = 100;
    while (!stopper.signal.aborted) {
      try {
        await session();
        backoff = 100;
      } catch (error) {
        connected = false;
        await client?.end().catch(() => undefined);
        logger.debug({ err: (error as Error).message }, 'embedded bus: listener cannot connect');
      }
      if (stopper.signal.aborted) break;
      await sleep(backoff, stopper.signal);
      backoff = Math.min(backoff * 2, 2_000);
    }
    markReady();
  };
  const running = loop();

  return {
    get connected() {
      return connected;
    },
    ready,
    stop: async () => {
      stopper.abort();
      await client?.end().catch(() => undefined);
      await running;
    },
  };
}
