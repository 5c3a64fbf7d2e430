import { Worker } from 'node:worker_threads';

/**
 * Runs in a worker thread, so the subscribers' parsing does not share the gateway's event loop:
 * opens N SSE connections and, for each frame, records now − `sent_at` (both from
 * performance.timeOrigin + now(), comparable across threads of one process).
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, count, token } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: count + 10 });
let latencies = [];
let frames = 0;
let open = 0;
const now = () => performance.timeOrigin + performance.now();
for (let i = 0; i < count; i++) {
  const req = http.get(url, { agent, headers: { accept: 'text/event-stream', authorization: 'Bearer ' + token } }, (res) => {
    open++;
    if (open === count) parentPort.postMessage({ kind: 'open' });
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\\n\\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const match = /"sent_at": ?([0-9.]+)/.exec(frame);
        if (match) {
          frames++;
          latencies.push(now() - Number(match[1]));
        }
      }
    });
  });
  req.on('error', (error) => parentPort.postMessage({ kind: 'error', message: String(error) }));
}
parentPort.on('message', (message) => {
  if (message === 'report') {
    parentPort.postMessage({ kind: 'report', frames, latencies });
    latencies = [];
    frames = 0;
  }
  if (message === 'stop') {
    agent.destroy();
    process.exit(0);
  }
});
`;

export interface Subscribers {
  /** Frames received and their latencies (ms) since the last report. */
  report(): Promise<{ frames: number; latencies: number[] }>;
  stop(): Promise<void>;
}

export async function startSubscribers(url: string, count: number, token: string): Promise<Subscribers> {
  const worker = new Worker(WORKER, { eval: true, workerData: { url, count, token } });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: { kind: string; message?: string }) => {
      if (message.kind === 'open') resolve();
      if (message.kind === 'error') reject(new Error(message.message));
    });
    worker.once('error', reject);
  });
  return {
    report: () => new Promise((resolve) => {
      const onMessage = (message: { kind: string; frames: number; latencies: number[] }) => {
        if (message.kind !== 'report') return;
        worker.off('message', onMessage);
        resolve({ frames: message.frames, latencies: message.latencies });
      };
      worker.on('message', onMessage);
      worker.postMessage('report');
    }),
    async stop() {
      worker.postMessage('stop');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}
