import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Server-Sent Event; object data is sent as JSON. `raw` writes bytes as they are. */
export type SseFrame =
  | { readonly event?: string; readonly data: string | object; readonly delayMs?: number }
  | { readonly raw: string; readonly delayMs?: number };

/** What happens after the last frame: end the response, keep it open, or cut the connection. */
export type StreamEnding = 'end' | 'hang' | 'destroy';

/** A scripted answer to one request. */
export type ScriptedResponse =
  | {
      readonly kind: 'json';
      readonly status: number;
      readonly body?: unknown;
      readonly headers?: Readonly<Record<string, string>>;
      /** Wait before sending the headers (to trip a client's first-byte timeout). */
      readonly delayMs?: number;
    }
  | {
      readonly kind: 'sse';
      readonly frames: readonly SseFrame[];
      readonly status?: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly delayMs?: number;
      readonly then?: StreamEnding;
    };

/** A request the server received. `closedByClient` turns true if the client hung up before the answer ended. */
export interface RecordedRequest {
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the text when it is not JSON. */
  readonly body: unknown;
  /** Which TCP connection carried it (1, 2, …): equal numbers mean a kept-alive connection was reused. */
  readonly connection: number;
  readonly closedByClient: boolean;
}

/** Chooses the answer when nothing is queued (for concurrent or content-driven scripts). */
export type ScriptedHandler = (request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>;

/** An HTTP server on 127.0.0.1 that answers with scripted responses and records what it saw. */
export interface ScriptedServer {
  /** `http://127.0.0.1:<port>`; add the API's path prefix (e.g. `/v1` for OpenAI clients). */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Queues answers, one per incoming request, in order. */
  enqueue(...responses: ScriptedResponse[]): void;
  /** Answers requests when the queue is empty. */
  respondWith(handler: ScriptedHandler): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Resolves when the client closed the connection of request `index` before its answer ended. */
  waitForClientClose(index: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

type MutableRecord = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function formatFrame(frame: SseFrame): string {
  if ('raw' in frame) return frame.raw;
  const data = typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data);
  const lines = data.split('\n').map((line) => `data: ${line}\n`).join('');
  return `${frame.event ? `event: ${frame.event}\n` : ''}${lines}\n`;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`scripted server: timed out waiting for ${what}`);
    await wait(10);
  }
}

async function play(response: ScriptedResponse, res: ServerResponse, isOpen: () => boolean, hangUp: () => void): Promise<void> {
  if (response.delayMs) await wait(response.delayMs);
  if (!isOpen()) return;
  if (response.kind === 'json') {
    const body = response.body === undefined ? '' : typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
    res.writeHead(response.status, { 'content-type': 'application/json', ...response.headers });
    res.end(body);
    return;
  }
  res.writeHead(response.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...response.headers });
  res.flushHeaders();
  for (const frame of response.frames) {
    if (frame.delayMs) await wait(frame.delayMs);
    if (!isOpen()) return;
    res.write(formatFrame(frame));
  }
  const ending = response.then ?? 'end';
  if (ending === 'end') res.end();
  else if (ending === 'destroy') hangUp();
  // 'hang': leave the response open until the client goes away or the server closes.
}

/** Starts a scripted server on an ephemeral port of 127.0.0.1. */
export async function startScriptedServer(): Promise<ScriptedServer> {
  const queue: ScriptedResponse[] = [];
  const entries: MutableRecord[] = [];
  let handler: ScriptedHandler | undefined;
  const connections = new WeakMap<object, number>();
  let connectionCount = 0;

  const server = createServer((req, res) => {
    if (!connections.has(req.socket)) connections.set(req.socket, ++connectionCount);
    const record: MutableRecord = {
      index: entries.length, method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: undefined,
      connection: connections.get(req.socket) ?? 0, closedByClient: false,
    };
    let hungUp = false;
    res.on('close', () => {
      if (!res.writableFinished && !hungUp) record.closedByClient = true;
    });
    entries.push(record);
    void (async () => {
      record.body = await readBody(req);
      const scripted = queue.shift() ?? (handler ? await handler(record) : undefined);
      const response: ScriptedResponse = scripted ?? {
        kind: 'json',
        status: 400,
        body: { error: { message: `scripted server has no response for request #${record.index} (${record.method} ${record.path})` } },
      };
      await play(response, res, () => !record.closedByClient, () => {
        hungUp = true;
        res.socket?.destroy();
      });
    })().catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  // Above undici's 1 s safety margin, so that clients do reuse connections; close() cuts them anyway.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return [...entries];
    },
    enqueue: (...responses) => void queue.push(...responses),
    respondWith: (next) => void (handler = next),
    waitForRequests: (count, timeoutMs = 10_000) => until(() => entries.length >= count, timeoutMs, `${count} requests`),
    waitForClientClose: (index, timeoutMs = 10_000) =>
      until(() => entries[index]?.closedByClient === true, timeoutMs, `the client to close request #${index}`),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
