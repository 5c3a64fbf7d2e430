import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DiscardPolicy, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { ServiceErrorCodeHeader } from '@nats-io/services';
import { TimeoutError, UnavailableError } from '@cadre/proto';
import { eventually, freePort, startNats, type TestNats } from '@cadre/testing';
import { describeBusContract } from './contract';
import { connectNatsBus } from './nats';
import { openConnection } from './nats/connection';
import { replies } from './nats/replies';
import { confirmAck, publishToStream } from './nats/stream-publish';
import { mapNatsError } from './nats/errors';
import type { Bus } from './types';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const unique = (prefix: string): string => `${prefix}_${Math.random().toString(36).slice(2, 10)}`;

describeBusContract(async () => {
  const nats = await startNats();
  const buses: Bus[] = [];
  return {
    label: 'nats',
    open: async () => {
      const bus = await connectNatsBus({ servers: nats.url, name: `contract-${buses.length}` });
      buses.push(bus);
      return bus;
    },
    dispose: async () => {
      await Promise.all(buses.map((bus) => bus.drain()));
      await nats.dispose();
    },
  };
});

describe('NATS transport', () => {
  let nats: TestNats;
  let server: Bus;
  let client: Bus;
  let raw: NatsConnection;

  beforeAll(async () => {
    nats = await startNats({ controllable: true });
    server = await connectNatsBus({ servers: nats.url, name: 'server' });
    client = await connectNatsBus({ servers: nats.url, name: 'client' });
    raw = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  });
  // Tests here stop and start the server: each begins only once both buses hold a live link
  // again (the one that the last test's assertions did not need may still be reconnecting).
  beforeEach(async () => {
    await eventually(() => expect(server.isHealthy() && client.isHealthy()).toBe(true), 15_000, 50);
  });
  afterAll(async () => {
    await Promise.all([server?.drain(), client?.drain(), raw?.close()]);
    await nats?.dispose();
  });

  it('creates its streams with the configured duplicate window', async () => {
    const jsm = await jetstreamManager(raw);
    const events = await jsm.streams.info('EVENTS');
    expect(events.config).toMatchObject({ subjects: ['evt.>'], storage: 'file', duplicate_window: 120_000_000_000 });
    const jobs = await jsm.streams.info('JOBS');
    expect(jobs.config).toMatchObject({ subjects: ['jobs.>'], retention: 'workqueue' });
  });

  it('stops a publishAll at the first message the server refuses: those before are stored, none after', async () => {
    const topic = unique('all');
    const first = await client.events.lastSeq();
    const messages = [1, 2, 3].map((n) => ({
      subject: `evt.${topic}.n.${n}`,
      // The second is over the server's max_payload (1 MB): refused, after the first was stored.
      data: n === 2 ? new Uint8Array(2 * 1024 * 1024) : bytes({ n }),
      options: { msgId: unique('id') },
    }));
    const result = await client.events.publishAll(messages);
    expect(result.acks).toHaveLength(1);
    expect(result.error).toBeDefined();
    const seen: string[] = [];
    const sub = await client.events.replay({ fromSeq: first + 1, filterSubject: `evt.${topic}.>` }, (m) => void seen.push(m.subject));
    try {
      await eventually(() => expect(seen).toEqual([`evt.${topic}.n.1`]));
      // The third never went out: nothing comes after the first.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual([`evt.${topic}.n.1`]);
    } finally {
      await sub.stop();
    }
  });

  it('is discoverable through $SRV.INFO, and answers non-JSON payloads with a validation error', async () => {
    const name = unique('disc');
    const service = await server.serve({ name, version: '2.1.0', description: 'discovery test', endpoints: { [`${name}.echo`]: (p) => p } });
    try {
      const info = (await raw.request(`$SRV.INFO.${name}`, '', { timeout: 2_000 })).json<{ name: string; version: string; description: string; endpoints: Array<{ subject: string; queue_group: string }> }>();
      expect(info).toMatchObject({ name, version: '2.1.0', description: 'discovery test' });
      expect(info.endpoints).toEqual([expect.objectContaining({ subject: `${name}.echo`, queue_group: 'q' })]);

      const reply = await raw.request(`${name}.echo`, 'not json {', { timeout: 2_000 });
      expect(reply.headers?.get(ServiceErrorCodeHeader)).toBe('400');
      expect(reply.json()).toMatchObject({ code: 'validation_failed' });
      expect(await client.request(`${name}.echo`, { still: 'alive' })).toEqual({ still: 'alive' });
    } finally {
      await service.stop();
    }
  });

  it('rejects with UnavailableError in bounded time when no server can be reached', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(connectNatsBus({ servers: `nats://127.0.0.1:${port}`, connectTimeoutMs: 1_000 })).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('answers UnavailableError fast while the server is down, and recovers requests and consumers after', async () => {
    const name = unique('restart');
    const service = await server.serve({ name, version: '1.0.0', endpoints: { [`${name}.ping`]: () => 'pong' } });
    const topic = unique('restart');
    const received: number[] = [];
    const consumer = await server.events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>`, ackWaitMs: 2_000 }, async (m) => {
      received.push(m.json<number>());
      await m.ack();
    });
    const queue = client.workQueue(unique('wq'));
    const jobs: number[] = [];
    const worker = await server.workQueue(queue.name).process(async (job) => {
      jobs.push(job.json<number>());
    }, { ackWaitMs: 2_000 });
    try {
      expect(await client.request(`${name}.ping`, {})).toBe('pong');
      await client.events.publish(`evt.${topic}.x`, bytes(1), { msgId: unique('id') });
      await eventually(() => expect(received).toEqual([1]));

      await nats.stop();
      await eventually(() => expect(client.isHealthy()).toBe(false), 2_000);
      const started = Date.now();
      await expect(client.request(`${name}.ping`, {}, { timeoutMs: 5_000 })).rejects.toBeInstanceOf(UnavailableError);
      await expect(client.events.publish(`evt.${topic}.x`, bytes(2), { msgId: unique('id') })).rejects.toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 2_000));
      await nats.start();

      await eventually(async () => expect(await client.request(`${name}.ping`, {}, { timeoutMs: 1_000 })).toBe('pong'), 15_000, 200);
      expect(client.isHealthy()).toBe(true);
      await client.events.publish(`evt.${topic}.x`, bytes(3), { msgId: unique('id') });
      await queue.enqueue(bytes(4));
      await eventually(() => expect(received).toEqual([1, 3]), 20_000);
      await eventually(() => expect(jobs).toEqual([4]), 20_000);
    } finally {
      await Promise.all([service.stop(), consumer.stop(), worker.stop()]);
    }
  });

  it('holds a nak made while the server is down and sends it once it is back: the retry comes long before the ack wait', async () => {
    const topic = unique('outage');
    const queue = client.workQueue(unique('wq'));
    let down!: () => void;
    const serverDown = new Promise<void>((resolve) => (down = resolve));
    const attempts: Array<{ kind: string; at: number }> = [];
    const failFirst = async (kind: string, attempt: number): Promise<void> => {
      attempts.push({ kind, at: Date.now() });
      if (attempt === 1) {
        await serverDown;
        throw new Error(`${kind} failed during the outage`);
      }
    };
    // Ack waits far longer than the test waits: only a nak that reached the server brings the retry.
    const worker = await server.workQueue(queue.name).process((job) => failFirst('job', job.attempt), { ackWaitMs: 60_000 });
    const consumer = await server.events.consume({ durable: unique('d'), filterSubject: `evt.${topic}.>`, ackWaitMs: 60_000 }, async (m) => {
      await failFirst('event', m.deliveryCount);
      await m.ack();
    });
    try {
      await queue.enqueue(bytes('work'));
      await client.events.publish(`evt.${topic}.x`, bytes('event'), { msgId: unique('id') });
      await eventually(() => expect(attempts.map((a) => a.kind).sort()).toEqual(['event', 'job']));
      await nats.stop();
      await eventually(() => expect(server.isHealthy()).toBe(false), 2_000);
      down(); // both handlers fail now, with no server to tell
      await new Promise((r) => setTimeout(r, 1_000));
      const back = Date.now();
      await nats.start();
      await eventually(() => expect(attempts).toHaveLength(4), 15_000, 100);
      expect(attempts.slice(2).map((a) => a.kind).sort()).toEqual(['event', 'job']);
      for (const retry of attempts.slice(2)) expect(retry.at - back).toBeLessThan(15_000);
    } finally {
      await Promise.all([worker.stop(), consumer.stop()]);
    }
  });

  it('fetches again as soon as it reconnects: a job enqueued right after a server restart is taken at once', async () => {
    const queue = client.workQueue(unique('wq'));
    const taken: number[] = [];
    const worker = await server.workQueue(queue.name).process(async () => {
      taken.push(Date.now());
    });
    try {
      await queue.enqueue(bytes('warm'));
      await eventually(() => expect(taken).toHaveLength(1));
      await new Promise((r) => setTimeout(r, 300)); // the worker's next fetch is now waiting at the server
      await nats.stop();
      await eventually(() => expect(server.isHealthy()).toBe(false), 2_000);
      await nats.start();
      await eventually(() => expect(server.isHealthy() && client.isHealthy()).toBe(true), 15_000, 50);
      await eventually(async () => {
        await queue.enqueue(bytes('probe'), { msgId: 'after-restart' }); // JetStream may need a moment after the restart
      }, 10_000, 100);
      const enqueued = Date.now();
      await eventually(() => expect(taken).toHaveLength(2), 15_000, 20);
      // Far below the fetch's expiry plus its watchdog, which is how long the old fetch would hold it up.
      expect(taken[1]! - enqueued).toBeLessThan(1_500);
    } finally {
      await worker.stop();
    }
  });

  it('finds its link live again by itself when a late disconnect status follows the reconnect', async () => {
    const warnings: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_: unknown, message: string) => void warnings.push(message) };
    const connection = await openConnection({ servers: nats.url, name: 'late-status', connectTimeoutMs: 2_000, logger });
    try {
      expect(connection.isConnected()).toBe(true);
      // What a dial attempt that failed beside a successful one reports after the fact: the
      // client dispatches it, though its connection is fine.
      (connection.nc as unknown as { protocol: { dispatchStatus(status: { type: string }): void } }).protocol.dispatchStatus({ type: 'disconnect' });
      await eventually(() => expect(connection.isConnected()).toBe(false), 1_000, 5);
      expect(() => connection.assertConnected('probe')).toThrow(UnavailableError);
      let reconnected = 0;
      connection.onReconnect(() => void reconnected++);
      await eventually(() => expect(connection.isConnected()).toBe(true), 5_000, 50);
      expect(reconnected).toBe(1);
      expect(warnings).toContain('NATS connection lost');
    } finally {
      await connection.nc.close();
    }
  });

  it('answers requests over one inbox subscription, and fails those waiting at once when the connection closes', async () => {
    const own = await connect({ servers: nats.url });
    const subject = unique('replies');
    const answering = raw.subscribe(`${subject}.*`, {
      callback: (_error, msg) => {
        if (msg.subject.endsWith('.echo')) msg.respond(msg.data);
      },
    });
    await raw.flush();
    try {
      const requests = replies(own);
      const subscriptions = (): number => (own as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size();
      const before = subscriptions();
      const echoed = await Promise.all(Array.from({ length: 50 }, (_, i) => requests.request(`${subject}.echo`, bytes(i), { timeoutMs: 5_000, what: 'echo' })));
      expect(echoed.map((msg) => msg.json<number>())).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(subscriptions()).toBe(before + 1);
      await expect(requests.request(`${unique('nobody')}.here`, bytes(1), { timeoutMs: 5_000, what: 'nobody' })).rejects.toBeInstanceOf(UnavailableError);
      await expect(requests.request(`${subject}.silent`, bytes(1), { timeoutMs: 100, what: 'silent' })).rejects.toBeInstanceOf(TimeoutError);

      const waiting = requests.request(`${subject}.silent`, bytes(2), { timeoutMs: 30_000, what: 'silent' });
      const started = Date.now();
      await own.close();
      const error = await waiting.then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toBe('silent: bus connection closed');
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      answering.unsubscribe();
      if (!own.isClosed()) await own.close();
    }
  });

  it("publishes to a stream through the bus's replies: the stream's ack, a duplicate, and the stream's refusal as nats.js's error", async () => {
    const jsm = await jetstreamManager(raw);
    const name = unique('LIMITED');
    await jsm.streams.add({ name, subjects: [`${name}.>`], max_msgs: 1, discard: DiscardPolicy.New });
    try {
      const conn = { replies: replies(raw) };
      const first = await publishToStream(conn, `${name}.a`, bytes(1), { msgId: 'm1', what: 'publish a' });
      expect(first).toEqual({ seq: 1, duplicate: false });
      expect(await publishToStream(conn, `${name}.a`, bytes(1), { msgId: 'm1', what: 'publish a' })).toEqual({ seq: 1, duplicate: true });
      const refused = await publishToStream(conn, `${name}.b`, bytes(2), { msgId: 'm2', what: 'publish b' }).then(() => undefined, (error: unknown) => error);
      expect(refused).toBeInstanceOf(JetStreamApiError);
      expect((refused as JetStreamApiError).message).toMatch(/maximum messages/i);
      expect(mapNatsError(refused, 'publish b')).toBeInstanceOf(UnavailableError);
      expect((await jsm.streams.info(name)).state.messages).toBe(1);
      // No stream takes the subject: nobody answers, at once.
      await expect(publishToStream(conn, `${unique('nostream')}.x`, bytes(3), { what: 'publish x' })).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      await jsm.streams.delete(name);
    }
  });

  it('confirms an ack through the bus\'s replies: the server holds the message no longer', async () => {
    const jsm = await jetstreamManager(raw);
    const name = unique('ACKED');
    await jsm.streams.add({ name, subjects: [`${name}.>`] });
    await jsm.consumers.add(name, { durable_name: 'c', ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000 });
    try {
      const conn = { replies: replies(raw) };
      await publishToStream(conn, `${name}.a`, bytes(1), { what: 'publish a' });
      await publishToStream(conn, `${name}.b`, bytes(2), { what: 'publish b' });
      const consumer = await jetstream(raw).consumers.get(name, 'c');
      const first = await consumer.next({ expires: 2_000 });
      const second = await consumer.next({ expires: 2_000 });
      expect([first?.seq, second?.seq]).toEqual([1, 2]);
      expect((await jsm.consumers.info(name, 'c')).num_ack_pending).toBe(2);
      const started = Date.now();
      await confirmAck(conn, first!, 'ack a');
      // Confirmed: once it resolves, the server has the ack (no plain-ack fallback in play).
      expect(Date.now() - started).toBeLessThan(1_000);
      expect((await jsm.consumers.info(name, 'c')).num_ack_pending).toBe(1);
      await confirmAck(conn, second!, 'ack b');
      const info = await jsm.consumers.info(name, 'c');
      expect([info.num_ack_pending, info.ack_floor.stream_seq]).toEqual([0, 2]);
    } finally {
      await jsm.streams.delete(name);
    }
  });

  it('drains: a request in flight is answered before the bus closes', async () => {
    const bus = await connectNatsBus({ servers: nats.url, name: 'draining' });
    const name = unique('drain');
    let entered = false;
    await bus.serve({
      name,
      version: '1.0.0',
      endpoints: {
        [`${name}.slow`]: async () => {
          entered = true;
          await new Promise((r) => setTimeout(r, 300));
          return 'finished';
        },
      },
    });
    const pending = client.request(`${name}.slow`, {});
    await eventually(() => expect(entered).toBe(true));
    await bus.drain();
    await expect(pending).resolves.toBe('finished');
    expect(bus.isHealthy()).toBe(false);
  });
});
