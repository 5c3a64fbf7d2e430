import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { eventually, startNats, type TestNats } from '@cadre/testing';
import { connectNatsBus } from './bus';
import { CORKED_BYTES_LIMIT, connectCoalesced } from './transport';

const EXIT_CHILD = join(__dirname, '..', '..', 'test-fixtures', 'exit-child.ts');

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Counts the writes (`_write` of one chunk, `_writev` of several) of the sockets to the server at
 * `url` from now on, until `stop`.
 */
function countWrites(url: string): { count(): number; stop(): void } {
  const port = Number(new URL(url).port);
  const write = jest.spyOn(Socket.prototype, '_write');
  const writev = jest.spyOn(Socket.prototype, '_writev');
  const toServer = (sockets: readonly Socket[]): number => sockets.filter((socket) => socket.remotePort === port).length;
  return {
    count: () => toServer(write.mock.contexts) + toServer(writev.mock.contexts),
    stop: () => {
      write.mockRestore();
      writev.mockRestore();
    },
  };
}

/** The writes to the server at `url` while `work` runs and in the turn after it. */
async function socketWrites(url: string, work: () => Promise<void>): Promise<number> {
  const writes = countWrites(url);
  try {
    await work();
    await new Promise((resolve) => setImmediate(resolve));
    return writes.count();
  } finally {
    writes.stop();
  }
}

describe('the coalescing NATS transport', () => {
  let nats: TestNats;
  let listener: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    listener = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await listener?.close();
    await nats?.dispose();
  });

  /** Subscribes the listener to a fresh subject and returns what it has received so far. */
  async function listen(subject: string): Promise<string[]> {
    const received: string[] = [];
    listener.subscribe(subject, { callback: (_err, msg) => {
      received.push(decoder.decode(msg.data));
    } });
    await listener.flush();
    return received;
  }

  /**
   * Publishes 1, 2 and 3 to `subject` in one turn of the loop, each after two awaits (the client
   * flushes each on its own then: its flush is a microtask), and counts the sockets' writes; the
   * listener must receive all three, in order.
   */
  async function writesOfOneTurn(subject: string, publish: (subject: string, data: Uint8Array) => void): Promise<number> {
    const received = await listen(subject);
    const writes = await socketWrites(nats.url, async () => {
      for (const n of [1, 2, 3]) {
        publish(subject, encoder.encode(String(n)));
        await Promise.resolve();
        await Promise.resolve();
      }
    });
    await eventually(() => expect(received).toEqual(['1', '2', '3']));
    return writes;
  }

  it('sends the first write of a turn at once and the rest of the turn in one system call, in order', async () => {
    const nc = await connectCoalesced({ servers: nats.url });
    try {
      // Three writes of the plain transport; one, had the first waited too.
      expect(await writesOfOneTurn('coalesce.turn', (subject, data) => nc.publish(subject, data))).toBe(2);
    } finally {
      await nc.close();
    }
  });

  it('is the transport of the bus', async () => {
    const bus = await connectNatsBus({ servers: nats.url, name: 'coalesced-bus' });
    try {
      expect(await writesOfOneTurn('coalesce.bus', (subject, data) => bus.ephemeral.publish(subject, data))).toBe(2);
    } finally {
      await bus.drain();
    }
  });

  it('writes again in the next turn', async () => {
    const nc = await connectCoalesced({ servers: nats.url });
    try {
      const received = await listen('coalesce.turns');
      const writes = await socketWrites(nats.url, async () => {
        for (const n of [1, 2, 3]) {
          nc.publish('coalesce.turns', encoder.encode(String(n)));
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      });
      expect(writes).toBe(3);
      await eventually(() => expect(received).toEqual(['1', '2', '3']));
    } finally {
      await nc.close();
    }
  });

  it('delivers what was written in the turn a connection is closed in', async () => {
    const nc = await connectCoalesced({ servers: nats.url });
    const received = await listen('coalesce.close');
    // The client's flush is a microtask (and nats.js's close does not flush what is still its
    // own): the first publish is written at once, the second waits for the turn's end.
    for (const words of ['first words', 'last words']) {
      nc.publish('coalesce.close', encoder.encode(words));
      await Promise.resolve();
    }
    await nc.close();
    await eventually(() => expect(received).toEqual(['first words', 'last words']));
  });

  it('writes at once what a turn holds past the bound, when the turn never yields', async () => {
    const nc = await connectCoalesced({ servers: nats.url });
    try {
      const received = await listen('coalesce.bound');
      const payload = new Uint8Array(8 * 1024).fill(7);
      const count = 40;
      const writes = countWrites(nats.url);
      let writesWithinTheTurn: number;
      try {
        for (let n = 0; n < count; n++) {
          nc.publish('coalesce.bound', payload);
          await Promise.resolve();
          await Promise.resolve();
        }
        writesWithinTheTurn = writes.count();
      } finally {
        writes.stop();
      }
      // 320 KB in one turn: held whole, it would leave in one write after the first.
      expect(writesWithinTheTurn).toBeGreaterThanOrEqual(Math.floor((count * payload.length) / CORKED_BYTES_LIMIT));
      await eventually(() => expect(received).toHaveLength(count));
    } finally {
      await nc.close();
    }
  });

  it('delivers what was written in the turn a process exits in', async () => {
    const received = await listen('coalesce.exit');
    const child = spawn(process.execPath, ['--import', 'tsx', EXIT_CHILD, nats.url, 'coalesce.exit'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    await eventually(() => expect(received).toEqual(['first', 'last']));
  });

  it('answers requests and keeps its subscriptions across a reconnection', async () => {
    const controllable = await startNats({ controllable: true });
    const nc = await connectCoalesced({ servers: controllable.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      nc.subscribe('coalesce.echo', { callback: (_err, msg) => {
        msg.respond(msg.data);
      } });
      await nc.flush();
      expect(decoder.decode((await nc.request('coalesce.echo', encoder.encode('before'), { timeout: 2_000 })).data)).toBe('before');
      await controllable.stop();
      await controllable.start();
      await eventually(async () => {
        expect(decoder.decode((await nc.request('coalesce.echo', encoder.encode('after'), { timeout: 500 })).data)).toBe('after');
      }, 15_000, 100);
    } finally {
      await nc.close();
      await controllable.dispose();
    }
  });
});
