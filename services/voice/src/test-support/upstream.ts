import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the scripted upstream received, its body as bytes. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What it answers: a status, headers and a body (bytes, text or JSON). */
export interface Answer {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string | object;
}

/** An HTTP server standing for a vendor's API (Fish Audio, Voicebox, OpenAI): it records requests and answers by a script. */
export interface Upstream {
  readonly url: string;
  readonly received: Received[];
  /** Answers by method and path; unmatched requests get 404. */
  route(method: string, path: string | RegExp, answer: Answer | ((r: Received) => Answer)): void;
  /** Answers the next `n` requests to the path with this, before the route's answer. */
  failNext(path: string, n: number, answer: Answer): void;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const routes: Array<{ method: string; path: string | RegExp; answer: Answer | ((r: Received) => Answer) }> = [];
  const failures = new Map<string, { left: number; answer: Answer }>();
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const r: Received = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      const failure = failures.get(path);
      let answer: Answer | undefined;
      if (failure && failure.left > 0) {
        failure.left -= 1;
        answer = failure.answer;
      } else {
        const found = routes.find((x) => x.method === r.method && (typeof x.path === 'string' ? x.path === path : x.path.test(path)));
        answer = found ? (typeof found.answer === 'function' ? found.answer(r) : found.answer) : { status: 404, body: { error: 'no such route' } };
      }
      const body = answer.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(answer.body) ? answer.body
        : typeof answer.body === 'string' ? Buffer.from(answer.body) : Buffer.from(JSON.stringify(answer.body));
      const type = Buffer.isBuffer(answer.body) ? 'application/octet-stream' : typeof answer.body === 'object' ? 'application/json' : 'text/plain';
      res.writeHead(answer.status ?? 200, { 'content-type': type, ...answer.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    route: (method, path, answer) => void routes.unshift({ method, path, answer }),
    failNext: (path, n, answer) => void failures.set(path, { left: n, answer }),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
