import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

const REPLIES: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'Request line or headers too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'Request not received in time'],
};

/**
 * Requests Node's HTTP parser refuses never reach Express; Node would answer them with a bare
 * status line. This answers them with the same error envelope as everything else.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason, message] = REPLIES[error.code ?? ''] ?? [400, 'Bad Request', 'Malformed HTTP request'];
    const body = JSON.stringify({ error: message, code: 'bad_request' });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
      + `X-API-Version: 1\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
