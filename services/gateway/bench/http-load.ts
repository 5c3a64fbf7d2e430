import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';

/** A keep-alive HTTP client on the event loop of the thread that calls it (the load worker's, the SSE benchmark's paced appends, the earlier method's rows). */
export function httpClient(baseUrl: string, maxSockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const url = new URL(baseUrl);
  return {
    send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
      return new Promise((resolve, reject) => {
        const req = request({ agent, host: url.hostname, port: url.port, method, path, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

export interface LoadTarget {
  readonly url: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly expectStatus: number;
}

export interface HttpLoad {
  /** Sends `total` requests over the load's connections; latency percentiles in ms. */
  run(total: number): Promise<{ perSecond: number; p50: number; p99: number }>;
  close(): Promise<void>;
}

/**
 * A load client in a worker thread of its own (http-load-worker.ts), with `clients` requests in
 * flight: off the event loop of the server it measures, as a caller is. On the server's own loop
 * the client would wait for whatever the server does after its response is sent (the access log,
 * metrics) before it could read the response.
 */
export function startHttpLoad(target: LoadTarget, clients: number): HttpLoad {
  // A TypeScript file: the worker registers the loader the benchmarks run under (tsx) before requiring it.
  const entry = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'http-load-worker.ts'))});`;
  const worker = new Worker(entry, { eval: true, workerData: { ...target, clients } });
  // A worker that fails or exits fails the run waiting on it (rather than leaving it waiting).
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited (${code})`)));
  });
  failed.catch(() => undefined);
  return {
    async run(total) {
      const answer = new Promise<{ perSecond: number; p50: number; p99: number; error?: string }>((resolve) => worker.once('message', resolve));
      worker.postMessage(total);
      const { error, ...measured } = await Promise.race([answer, failed]);
      if (error !== undefined) throw new Error(error);
      return measured;
    },
    async close() {
      await worker.terminate();
    },
  };
}

/** The baseline: Express 5 answering a small JSON body, nothing else. */
export async function startHelloWorld(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(express.json());
  app.post('/hello', (req, res) => {
    res.status(201).json({ hello: 'world', echo: (req.body as { text?: string }).text });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
