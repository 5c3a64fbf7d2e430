import { parentPort, workerData } from 'node:worker_threads';
import { measure } from '../../../bench/stats';
import { httpClient, type LoadTarget } from './http-load';

/**
 * The worker thread of `startHttpLoad`: `clients` keep-alive connections, each sending its
 * request again as soon as the answer came; each message from the parent is a number of
 * requests to measure, answered with what `measure` found (or the error).
 */
const { url, method, path, headers, body, expectStatus, clients } = workerData as LoadTarget & { clients: number };
const client = httpClient(url, clients);
const op = async (): Promise<void> => {
  const status = await client.send(method, path, headers, body);
  if (status !== expectStatus) throw new Error(`${method} ${path}: status ${status}`);
};
parentPort!.on('message', (total: number) => {
  measure(op, total, clients).then(
    (result) => parentPort!.postMessage(result),
    (error: unknown) => parentPort!.postMessage({ error: String(error) }),
  );
});
