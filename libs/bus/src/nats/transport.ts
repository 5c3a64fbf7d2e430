import type { ConnectionOptions, NatsConnection } from '@nats-io/nats-core';
import { NatsConnectionImpl, setTransportFactory } from '@nats-io/nats-core/internal';
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport';

type Socket = NodeTransport['socket'];

/**
 * What a corked socket holds at most before it writes at once (a turn that never yields to the
 * loop — publishes between awaits of settled promises — would otherwise hold all it sends).
 */
export const CORKED_BYTES_LIMIT = 64 * 1024;

/** The sockets corked now: a process that exits before their turn ends writes them first. */
const corked = new Set<Socket>();
process.on('exit', () => {
  for (const socket of corked) socket.uncork();
  corked.clear();
});

/**
 * nats.js's Node transport, writing what one turn of the event loop sends after its first write in
 * one system call.
 *
 * The client already gathers the protocol messages of one synchronous run (and its microtasks)
 * into one write; but a service under load handles its deliveries, replies and Postgres results
 * in separate I/O callbacks, each ending in a write of its own: 6.2 writes a step in the
 * orchestration burst, each a system call that runs the loopback's receive path for nats-server
 * and wakes it. Here a turn's first write goes out at once, as before (one request at a time
 * waits for nothing more); the socket is then corked, and uncorked once the turn's I/O callbacks
 * have run (`setImmediate`), so the turn's later writes leave as one `writev`: 2.0 writes a step.
 * A write waits at most for the rest of its turn, and for no more than `CORKED_BYTES_LIMIT` of
 * writes after it; an explicit close, and the process's exit, write what is held first.
 */
class CoalescingTransport extends NodeTransport {
  /** A write went out in this turn of the event loop (its end is scheduled). */
  #inTurn = false;
  #corked = false;

  override send(frame: Uint8Array): void {
    const socket = this.socket as Socket | undefined;
    if (socket === undefined || this.isClosed) {
      super.send(frame);
      return;
    }
    if (!this.#inTurn) {
      // The turn's first write goes at once; those after it in the same turn wait for its end.
      this.#inTurn = true;
      setImmediate(() => {
        this.#inTurn = false;
        this.#uncork(socket);
      });
    } else if (!this.#corked) {
      this.#corked = true;
      corked.add(socket);
      socket.cork();
    }
    super.send(frame);
    if (this.#corked && socket.writableLength >= CORKED_BYTES_LIMIT) this.#uncork(socket);
  }

  /** An explicit close destroys the socket at once: what the turn has written goes out first. */
  override close(err?: Error): Promise<void> {
    const socket = this.socket as Socket | undefined;
    if (socket !== undefined) this.#uncork(socket);
    return super.close(err);
  }

  #uncork(socket: Socket): void {
    if (!this.#corked) return;
    this.#corked = false;
    corked.delete(socket);
    socket.uncork();
  }
}

/**
 * `connect` of `@nats-io/transport-node`, with the coalescing transport. The transport factory is
 * the client's global (each dial, reconnections included, takes the one set last); it is set at
 * each connect here, as the package's own `connect` does with its plain transport.
 */
export function connectCoalesced(options: ConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new CoalescingTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}
