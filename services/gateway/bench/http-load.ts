import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { percentile } from '../../../bench/stats';

/** A keep-alive HTTP client on this thread's event loop (the SSE benchmark's paced appends; the earlier method's rows). */
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

/**
 * Runs in a worker thread: `clients` keep-alive connections, each sending its request again as
 * soon as the answer came, `total` requests in all; answers each request's latency (ms) and the
 * seconds the whole took. Off the event loop of the server it measures, as a caller is: on the
 * server's own loop the client would wait for whatever the server does after its response is
 * sent (the access log, metrics) before it could read the response.
 */
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, method, path, headers, body, clients, expectStatus } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const { hostname, port } = new URL(url);
const send = () => new Promise((resolve, reject) => {
  const req = http.request({ agent, host: hostname, port, method, path, headers }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
    res.on('error', reject);
  });
  req.on('error', reject);
  req.end(body);
});
async function run(total) {
  const latencies = [];
  let started = 0;
  const begin = process.hrtime.bigint();
  const loop = async () => {
    while (started < total) {
      started++;
      const t0 = process.hrtime.bigint();
      const status = await send();
      if (status !== expectStatus) throw new Error(method + ' ' + path + ': status ' + status);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  return { latencies, seconds: Number(process.hrtime.bigint() - begin) / 1e9 };
}
parentPort.on('message', (message) => {
  run(message).then((result) => parentPort.postMessage(result), (error) => parentPort.postMessage({ error: String(error) }));
});
`;

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

/** A load client in a worker thread of its own (see LOAD_WORKER), with `clients` requests in flight. */
export function startHttpLoad(target: LoadTarget, clients: number): HttpLoad {
  const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { ...target, clients } });
  // A worker that fails or exits fails the run waiting on it (rather than leaving it waiting).
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited (${code})`)));
  });
  failed.catch(() => undefined);
  return {
    async run(total) {
      const answer = new Promise<{ latencies: number[]; seconds: number; error?: string }>((resolve) => worker.once('message', resolve));
      worker.postMessage(total);
      const { latencies, seconds, error } = await Promise.race([answer, failed]);
      if (error !== undefined) throw new Error(error);
      return { perSecond: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
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
