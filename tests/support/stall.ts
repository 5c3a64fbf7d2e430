import { connect, type Socket } from 'node:net';

/**
 * A client that opens the event stream and never reads a byte: the request goes out, then the
 * socket is paused before anything arrives, so the kernel's buffers fill and stay full.
 */
export async function openStalledStream(baseUrl: string, token?: string): Promise<{ socket: Socket }> {
  const url = new URL(baseUrl);
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  socket.pause();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const auth = token === undefined ? '' : `Authorization: Bearer ${token}\r\n`;
  socket.write(`GET /v1/events/stream HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n${auth}\r\n`);
  // Never reading, it would not even notice the server hanging up: the test destroys it.
  socket.on('error', () => undefined);
  return { socket };
}
