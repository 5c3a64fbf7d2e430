import { Agent, request } from 'node:http';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

/** A keep-alive HTTP client that drives every target alike (the gateway and the baseline). */
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
