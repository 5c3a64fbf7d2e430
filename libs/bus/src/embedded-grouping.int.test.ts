import { Client, Pool } from 'pg';
import { countStatements, createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { createEmbeddedBus } from './embedded';
import { compileFilter } from './embedded/events/filter';
import type { Bus, DeliveredMessage, Subscription } from './types';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Stores `total` messages under `evt.<topic>.other.>`, in publishAll calls of 250. */
async function storeBacklog(bus: Bus, total: number, topic: string): Promise<void> {
  const others = Array.from({ length: total }, (_, i) => ({ subject: `evt.${topic}.other.${i}`, data: bytes({ i }), options: { msgId: `${topic}-other-${i}` } }));
  for (let i = 0; i < others.length; i += 250) expect((await bus.events.publishAll(others.slice(i, i + 250))).error).toBeUndefined();
}

describe('the embedded bus groups what comes at once', () => {
  let database: TestDatabase;
  let pool: Pool;
  let bus: Bus;
  let counts: Map<string, number>;

  beforeAll(async () => {
    database = await createTestDatabase('cadre_bus_grouping');
    pool = new Pool({ connectionString: database.url, max: 10 });
    counts = countStatements(pool, { publish: /publish(_many)?"?\(/, publishMany: /publish_many"?\(/, ack: /DELETE FROM .*consumer_pending/, enqueue: /INSERT INTO .*jobs/, done: /SET status = 'done'/, claim: /claim"?\(/, claimJobs: /SET attempts = CASE/ });
    bus = await createEmbeddedBus({ pool, pollIntervalMs: 200 });
  });

  beforeEach(() => counts.clear());

  afterAll(async () => {
    await bus?.drain();
    await pool?.end();
    await database?.dispose();
  });

  it('publishes 100 messages made at once in fewer statements, each at the sequence its ack names; a msgId met earlier is a duplicate', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? `grp-${i - 5}` : `grp-${i}`));
    const acks = await Promise.all(ids.map((msgId, i) => bus.events.publish(`evt.grouping.pub.${i}`, bytes({ i }), { msgId })));
    expect(counts.get('publish') ?? 0).toBeLessThan(50);
    const fresh = acks.flatMap((ack, i) => (ack.duplicate ? [] : [{ seq: ack.seq, i }]));
    expect(fresh).toHaveLength(90);
    expect(new Set(fresh.map((f) => f.seq)).size).toBe(90);
    // A duplicate answers the sequence of the message it repeats.
    ids.forEach((msgId, i) => {
      if (acks[i]!.duplicate) expect(acks[i]!.seq).toBe(acks[ids.indexOf(msgId)]!.seq);
    });
    // The stream holds each new message once, where its ack said.
    const seen: { seq: number; i: number }[] = [];
    const first = Math.min(...fresh.map((f) => f.seq));
    const replay = await bus.events.replay({ fromSeq: first, filterSubject: 'evt.grouping.pub.>' }, (m) => void seen.push({ seq: m.seq, i: m.json<{ i: number }>().i }));
    await eventually(() => expect(seen).toHaveLength(90));
    await replay.stop();
    expect(seen).toEqual([...fresh].sort((a, b) => a.seq - b.seq));
  });

  it('numbers a publishAll in one statement as publishes one by one would: a msgId stored before or met earlier in it is a duplicate', async () => {
    const stored = await bus.events.publish('evt.grouping.many.0', bytes({ i: 0 }), { msgId: 'many-stored' });
    counts.clear();
    const ids = ['many-a', 'many-stored', 'many-b', 'many-a', 'many-c', 'many-a', 'many-stored'];
    const result = await bus.events.publishAll(ids.map((msgId, i) => ({
      subject: `evt.grouping.many.${i + 1}`, data: bytes({ i: i + 1 }), options: { msgId },
    })));
    expect(result.error).toBeUndefined();
    // One call of publish_many, not publish once a message.
    expect(counts.get('publishMany')).toBe(1);
    expect(counts.get('publish')).toBe(1);
    const head = stored.seq;
    expect(result.acks).toEqual([
      { seq: head + 1, duplicate: false }, { seq: head, duplicate: true }, { seq: head + 2, duplicate: false },
      { seq: head + 1, duplicate: true }, { seq: head + 3, duplicate: false }, { seq: head + 1, duplicate: true }, { seq: head, duplicate: true },
    ]);
    const { rows } = await pool.query<{ seq: string; msg_id: string }>(`SELECT seq, msg_id FROM cadre_bus.stream_messages WHERE seq >= $1 ORDER BY seq`, [head]);
    expect(rows.map((row) => [Number(row.seq), row.msg_id])).toEqual([[head, 'many-stored'], [head + 1, 'many-a'], [head + 2, 'many-b'], [head + 3, 'many-c']]);
    // All of a call already stored: nothing new, each answered with its message's sequence.
    const again = await bus.events.publishAll(['many-c', 'many-c', 'many-stored'].map((msgId) => ({ subject: 'evt.grouping.many.again', data: bytes({}), options: { msgId } })));
    expect(again.acks).toEqual([{ seq: head + 3, duplicate: true }, { seq: head + 3, duplicate: true }, { seq: head, duplicate: true }]);
  });

  it('stores a publishAll in one statement, all or none, alone or in a group that fails', async () => {
    const stored = async (prefix: string) => Number((await pool.query(`SELECT count(*) AS n FROM cadre_bus.stream_messages WHERE msg_id LIKE $1`, [`${prefix}%`])).rows[0].n);
    const run = (prefix: string, badAt?: number) => Array.from({ length: 20 }, (_, i) => ({
      subject: `evt.grouping.all.${i}`, data: bytes({ i }),
      // jsonb takes no NUL: the statement that carries this header fails in Postgres, after every check here passed.
      options: { msgId: `${prefix}${i}`, headers: { 'x-i': i === badAt ? 'nul \u0000 here' : String(i) } },
    }));

    const whole = await bus.events.publishAll(run('all-ok-'));
    expect(whole.error).toBeUndefined();
    expect(whole.acks.map((ack) => ack.seq)).toEqual(Array.from({ length: 20 }, (_, i) => whole.acks[0]!.seq + i));
    expect(counts.get('publish')).toBe(1);

    const refused = await bus.events.publishAll(run('all-bad-', 7));
    expect(refused.acks).toEqual([]);
    expect(refused.error).toBeInstanceOf(Error);
    expect(await stored('all-bad-')).toBe(0);

    // In a group with others: the first four publishes take the statements in flight, the rest and
    // the run wait and go together; that statement fails, each item is tried alone: the others are
    // stored, the run none.
    counts.clear();
    const singles = Array.from({ length: 30 }, (_, i) => bus.events.publish(`evt.grouping.single.${i}`, bytes({ i }), { msgId: `single-${i}` }));
    const bad = await bus.events.publishAll(run('grp-bad-', 19));
    expect(bad.acks).toEqual([]);
    expect(bad.error).toBeInstanceOf(Error);
    expect((await Promise.all(singles)).every((ack) => !ack.duplicate)).toBe(true);
    // 4 alone, the group of 27 that failed, then its 27 items alone.
    expect(counts.get('publish')).toBeGreaterThanOrEqual(31);
    expect(await stored('grp-bad-')).toBe(0);
    expect(await stored('single-')).toBe(30);
  });

  it('settles the acks of many consumers at once in fewer statements, each message once', async () => {
    const durables = Array.from({ length: 12 }, (_, i) => `grouping-acks-${i}`);
    for (let i = 0; i < 10; i++) await bus.events.publish(`evt.grouping.ack.${i}`, bytes({ i }), { msgId: `ack-${i}` });
    const received = new Map<string, number[]>(durables.map((d) => [d, []]));
    counts.clear();
    const subs: Subscription[] = await Promise.all(durables.map((durable) => bus.events.consume(
      { durable, filterSubject: 'evt.grouping.ack.>', deliverFrom: { kind: 'all' } },
      async (m: DeliveredMessage) => {
        received.get(durable)!.push(m.json<{ i: number }>().i);
        await m.ack();
      },
    )));
    try {
      await eventually(() => expect([...received.values()].every((list) => list.length === 10)).toBe(true), 15_000);
      for (const list of received.values()) expect(list).toEqual(Array.from({ length: 10 }, (_, i) => i));
      expect(counts.get('ack') ?? 0).toBeLessThan(120);
      await eventually(async () => {
        const lags = await Promise.all(durables.map((durable) => bus.events.consumerLag(durable)));
        expect(lags.map((lag) => [lag?.pending, lag?.ackPending])).toEqual(durables.map(() => [0, 0]));
      });
    } finally {
      await Promise.all(subs.map((sub) => sub.stop()));
    }
  });

  it('claims for a durable consumer in one statement each (the claim function), redeliveries included', async () => {
    for (let i = 0; i < 10; i++) await bus.events.publish(`evt.grouping.claim.${i}`, bytes({ i }), { msgId: `claim-${i}` });
    const received: { i: number; delivery: number }[] = [];
    counts.clear();
    const sub = await bus.events.consume({ durable: 'grouping-claims', filterSubject: 'evt.grouping.claim.>', ackWaitMs: 300 }, async (m) => {
      const i = m.json<{ i: number }>().i;
      received.push({ i, delivery: m.deliveryCount });
      // The odd ones are left unsettled once: they come back after the ack wait, in a later claim.
      if (i % 2 === 0 || m.deliveryCount > 1) await m.ack();
    });
    try {
      await eventually(() => expect(received).toHaveLength(15), 10_000);
      expect(received.slice(0, 10)).toEqual(Array.from({ length: 10 }, (_, i) => ({ i, delivery: 1 })));
      expect(received.slice(10)).toEqual([1, 3, 5, 7, 9].map((i) => ({ i, delivery: 2 })));
      await eventually(async () => expect(await bus.events.consumerLag('grouping-claims')).toEqual({ pending: 0, ackPending: 0 }));
      // A claim was a transaction of up to nine statements on a client of its own; now one call each.
      expect(counts.get('claim') ?? 0).toBeGreaterThanOrEqual(2);
    } finally {
      await sub.stop();
    }
  });

  it('claims by the filter the consumer has, when it is not the one the loop started with', async () => {
    const received: string[] = [];
    const sub = await bus.events.consume({ durable: 'grouping-refilter', filterSubject: 'evt.grouping.refilter.a.>' }, async (m) => {
      received.push(m.subject);
      await m.ack();
    });
    try {
      await bus.events.publish('evt.grouping.refilter.a.1', bytes({}), { msgId: 'refilter-a1' });
      await eventually(() => expect(received).toEqual(['evt.grouping.refilter.a.1']));
      // As if the consumer had been deleted and made again elsewhere with another filter, between two claims.
      await pool.query(`UPDATE cadre_bus.consumers SET filter = 'evt.grouping.refilter.b.>' WHERE name = 'grouping-refilter'`);
      await bus.events.publish('evt.grouping.refilter.a.2', bytes({}), { msgId: 'refilter-a2' });
      await bus.events.publish('evt.grouping.refilter.b.1', bytes({}), { msgId: 'refilter-b1' });
      await eventually(() => expect(received).toEqual(['evt.grouping.refilter.a.1', 'evt.grouping.refilter.b.1']));
      await eventually(async () => expect(await bus.events.consumerLag('grouping-refilter')).toEqual({ pending: 0, ackPending: 0 }));
    } finally {
      await sub.stop();
    }
  });

  it('wakes a sleeping consumer for publishes its filter takes, not for others; another process\'s publish wakes it too', async () => {
    // Polls once a minute: what reaches the handler sooner came by a wake-up.
    const quiet = await createEmbeddedBus({ pool, pollIntervalMs: 60_000 });
    const received: string[] = [];
    const sub = await quiet.events.consume({ durable: 'grouping-wakes', filterSubject: 'evt.grouping.wanted.>' }, async (m) => {
      received.push(m.subject);
      await m.ack();
    });
    const foreign = new Client({ connectionString: database.url });
    await foreign.connect();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      counts.clear();
      // Others' subjects, from this process (a pulse naming them) and through the database's NOTIFY.
      for (let i = 0; i < 20; i++) await quiet.events.publish(`evt.grouping.unwanted.${i}`, bytes({ i }), { msgId: `unwanted-${i}` });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(counts.get('claim') ?? 0).toBe(0);
      await quiet.events.publish('evt.grouping.wanted.1', bytes({}), { msgId: 'wanted-1' });
      await eventually(() => expect(received).toEqual(['evt.grouping.wanted.1']), 5_000);
      // A message stored by another process reaches this one by NOTIFY alone.
      await foreign.query(`SELECT * FROM cadre_bus.publish($1, $2, '{}'::jsonb, $3)`, ['evt.grouping.wanted.2', 'wanted-2', Buffer.from('{}')]);
      await eventually(() => expect(received).toEqual(['evt.grouping.wanted.1', 'evt.grouping.wanted.2']), 5_000);
    } finally {
      await foreign.end();
      await sub.stop();
      await quiet.drain();
    }
  });

  it('wakes a consumer held back by maxAckPending as soon as a message settles', async () => {
    const quiet = await createEmbeddedBus({ pool, pollIntervalMs: 60_000 });
    const received: number[] = [];
    try {
      for (let i = 0; i < 6; i++) await quiet.events.publish(`evt.grouping.held.${i}`, bytes({ i }), { msgId: `held-${i}` });
      const sub = await quiet.events.consume({ durable: 'grouping-held', filterSubject: 'evt.grouping.held.>', maxAckPending: 2 }, async (m) => {
        received.push(m.json<{ i: number }>().i);
        await m.ack();
      });
      try {
        // Two a claim, the next claimed as room frees: well before the minute's poll.
        await eventually(() => expect(received).toEqual([0, 1, 2, 3, 4, 5]), 5_000);
      } finally {
        await sub.stop();
      }
    } finally {
      await quiet.drain();
    }
  });

  it('a lingering consumer takes what came in its linger in one claim; one that does not linger claims at each publish', async () => {
    // Polls once a minute: every claim below came from a wake-up.
    const quiet = await createEmbeddedBus({ pool, pollIntervalMs: 60_000 });
    const claimsFor = async (topic: string, lingerMs: number | undefined): Promise<number> => {
      const received: number[] = [];
      const sub = await quiet.events.consume({ durable: `grouping-${topic}`, filterSubject: `evt.grouping.${topic}.>`, ...(lingerMs === undefined ? {} : { lingerMs }) }, async (m) => {
        received.push(m.json<{ i: number }>().i);
        await m.ack();
      });
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        counts.clear();
        // Five publishes 30 ms apart, each waking the consumer.
        for (let i = 0; i < 5; i++) {
          await quiet.events.publish(`evt.grouping.${topic}.${i}`, bytes({ i }), { msgId: `${topic}-${i}` });
          await new Promise((resolve) => setTimeout(resolve, 30));
        }
        await eventually(() => expect(received).toEqual([0, 1, 2, 3, 4]), 5_000);
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(received).toEqual([0, 1, 2, 3, 4]);
        return counts.get('claim') ?? 0;
      } finally {
        await sub.stop();
      }
    };
    try {
      expect(await claimsFor('lingering', 500)).toBe(1);
      expect(await claimsFor('eager', undefined)).toBeGreaterThanOrEqual(4);
    } finally {
      await quiet.drain();
    }
  });

  it('a lingering consumer lingers on publishes only: room freed under maxAckPending and a nak falling due are taken at once', async () => {
    const quiet = await createEmbeddedBus({ pool, pollIntervalMs: 60_000 });
    const received: number[] = [];
    let nakd = false;
    try {
      for (let i = 0; i < 6; i++) await quiet.events.publish(`evt.grouping.lingerheld.${i}`, bytes({ i }), { msgId: `lingerheld-${i}` });
      const began = Date.now();
      // Two at a time, the first message nak'd once for 100 ms: with a 10 s linger on every
      // wake-up, the six would take a minute.
      const sub = await quiet.events.consume({ durable: 'grouping-lingerheld', filterSubject: 'evt.grouping.lingerheld.>', maxAckPending: 2, lingerMs: 10_000 }, async (m) => {
        const { i } = m.json<{ i: number }>();
        if (i === 0 && !nakd) {
          nakd = true;
          await m.nak(100);
          return;
        }
        received.push(i);
        await m.ack();
      });
      try {
        await eventually(() => expect([...received].sort()).toEqual([0, 1, 2, 3, 4, 5]), 5_000);
        expect(Date.now() - began).toBeLessThan(5_000);
      } finally {
        await sub.stop();
      }
    } finally {
      await quiet.drain();
    }
  });

  it('claims a nak\'d message again when its delay is over, with nothing else to wake the consumer', async () => {
    const quiet = await createEmbeddedBus({ pool, pollIntervalMs: 60_000 });
    const deliveries: number[] = [];
    try {
      const sub = await quiet.events.consume({ durable: 'grouping-nak', filterSubject: 'evt.grouping.nak.>' }, async (m) => {
        deliveries.push(m.deliveryCount);
        if (m.deliveryCount === 1) await m.nak(100);
        else await m.ack();
      });
      try {
        await quiet.events.publish('evt.grouping.nak.1', bytes({}), { msgId: 'nak-1' });
        // Well before the minute's poll and the 30 s ack wait.
        await eventually(() => expect(deliveries).toEqual([1, 2]), 5_000);
      } finally {
        await sub.stop();
      }
    } finally {
      await quiet.drain();
    }
  });

  it('a claim looks at a window of the stream, and a consumer far behind a narrow filter catches up without waiting for the poll', async () => {
    const schema = 'cadre_bus_window';
    const quiet = await createEmbeddedBus({ pool, schema, pollIntervalMs: 60_000 });
    try {
      await storeBacklog(quiet, 3000, 'window');
      const match = await quiet.events.publish('evt.window.match.1', bytes({}), { msgId: 'match-1' });
      expect(match.seq).toBe(3001);

      // By hand, on a consumer at the stream's start: each claim looks at 1,024 messages past
      // its position, moves to the end of that window when too few matched, and says it is behind.
      const filter = 'evt.window.match.>';
      await pool.query(`INSERT INTO ${schema}.consumers (name, filter, ack_wait_ms, max_ack_pending, delivered_seq) VALUES ('by-hand', $1, 30000, 64, 0)`, [filter]);
      const { exact, like, regex } = compileFilter(filter);
      const claim = async () => {
        const { rows } = await pool.query<{ seq: string | null; behind: boolean | null }>(`SELECT * FROM ${schema}.claim('by-hand', 32, $1, $2, $3, $4)`, [filter, exact, like, regex]);
        const position = (await pool.query<{ delivered_seq: string }>(`SELECT delivered_seq FROM ${schema}.consumers WHERE name = 'by-hand'`)).rows[0]!.delivered_seq;
        return { behind: rows[0]!.behind, seqs: rows.slice(1).map((row) => Number(row.seq)), position: Number(position) };
      };
      expect(await claim()).toEqual({ behind: true, seqs: [], position: 1024 });
      expect(await claim()).toEqual({ behind: true, seqs: [], position: 2048 });
      expect(await claim()).toEqual({ behind: false, seqs: [3001], position: 3001 });

      // Through the bus: nothing wakes this consumer but its own claims (it polls once a
      // minute), yet it reaches the message 3,000 places past its start at once.
      counts.clear();
      const received: number[] = [];
      const sub = await quiet.events.consume({ durable: 'far-behind', filterSubject: filter }, async (m) => {
        received.push(m.seq);
        await m.ack();
      });
      try {
        await eventually(() => expect(received).toEqual([3001]), 5_000);
        expect(counts.get('claim') ?? 0).toBeGreaterThanOrEqual(3);
      } finally {
        await sub.stop();
      }
    } finally {
      await quiet.drain();
    }
  });

  it('a replay reads the stream a window at a time, and one with a narrow filter far behind goes on without waiting for the poll', async () => {
    const schema = 'cadre_bus_replay_window';
    const quiet = await createEmbeddedBus({ pool, schema, pollIntervalMs: 60_000 });
    try {
      await storeBacklog(quiet, 9000, 'rwindow');
      expect((await quiet.events.publish('evt.rwindow.match.1', bytes({}), { msgId: 'rw-match-1' })).seq).toBe(9001);
      const replays = countStatements(pool, { page: /LEFT JOIN LATERAL .*cadre_bus_replay_window/s });
      const received: number[] = [];
      // Nothing wakes this replay but its own pages (it polls once a minute).
      const replay = await quiet.events.replay({ fromSeq: 1, filterSubject: 'evt.rwindow.match.>' }, (m) => void received.push(m.seq));
      try {
        await eventually(() => expect(received).toEqual([9001]), 5_000);
        // Pages of 4,096 messages at most: 1–4096, 4097–8192, then the rest.
        expect(replays.get('page')).toBeGreaterThanOrEqual(3);
      } finally {
        await replay.stop();
      }
    } finally {
      await quiet.drain();
    }
  });

  it('prepares its lookups, inserts and function calls once per connection; its scans are planned at each call', async () => {
    // One connection for the bus's statements (its LISTEN has a client of its own), so this pool's
    // session is the one that prepared them.
    const single = new Pool({ connectionString: database.url, max: 1 });
    const prepared = await createEmbeddedBus({ pool: single, schema: 'cadre_bus_prepared' });
    try {
      const received: number[] = [];
      const sub = await prepared.events.consume({ durable: 'prepared' }, async (m) => {
        received.push(m.seq);
        await m.ack();
      });
      const replayed: number[] = [];
      const replay = await prepared.events.replay({ fromSeq: 1 }, (m) => void replayed.push(m.seq));
      const queue = prepared.workQueue('prepared');
      const done: string[] = [];
      const worker = await queue.process(async (job) => void done.push(job.jobId));
      for (let i = 0; i < 3; i++) {
        await prepared.events.publish(`evt.prepared.${i}`, bytes({ i }), { msgId: `prepared-${i}` });
        const { jobId } = await queue.enqueue(bytes({ i }));
        await eventually(() => expect([received.length, replayed.length, done.includes(jobId)]).toEqual([i + 1, i + 1, true]));
      }
      await Promise.all([sub.stop(), replay.stop(), worker.stop()]);
      const { rows } = await single.query<{ statement: string }>(`SELECT statement FROM pg_prepared_statements WHERE name LIKE 'cadre_bus_%'`);
      const statements = rows.map((row) => row.statement);
      const named = (pattern: RegExp) => statements.filter((text) => pattern.test(text)).length;
      expect(named(/"publish"\(/)).toBe(1);
      expect(named(/"claim"\(/)).toBe(1);
      expect(named(/DELETE FROM .*consumer_pending/)).toBe(1);
      expect(named(/INSERT INTO .*jobs[\s\S]*VALUES/)).toBe(1);
      expect(named(/SET attempts = CASE/)).toBe(1);
      // The stream's scans are not kept: a plan made while the stream was small would read all of it later.
      expect(named(/stream_messages/)).toBe(0);
      expect(new Set(statements).size).toBe(statements.length);
    } finally {
      await prepared.drain();
      await single.end();
    }
  });

  it('brings a bus schema made before the claim function up to date on start, and consumes from it', async () => {
    const schema = 'cadre_bus_upgrade';
    await (await createEmbeddedBus({ pool, schema })).drain();
    // As an install from before migration 2 left it.
    await pool.query(`DROP FUNCTION ${schema}.claim; DROP FUNCTION ${schema}.publish_many; DELETE FROM ${schema}.migrations WHERE version >= 2`);
    const upgraded = await createEmbeddedBus({ pool, schema });
    try {
      const { rows } = await pool.query<{ version: number }>(`SELECT version FROM ${schema}.migrations ORDER BY version`);
      expect(rows.map((row) => row.version)).toEqual([1, 2, 3, 4, 5]);
      // Migration 5: a pending message no longer checks its consumer's row.
      const { rows: checks } = await pool.query(
        `SELECT 1 FROM pg_constraint WHERE conrelid = '${schema}.consumer_pending'::regclass AND contype = 'f'`);
      expect(checks).toEqual([]);
      const received: string[] = [];
      const sub = await upgraded.events.consume({ durable: 'upgraded' }, async (m) => {
        received.push(m.subject);
        await m.ack();
      });
      await upgraded.events.publish('evt.grouping.upgraded.1', bytes({}), { msgId: 'upgraded-1' });
      await eventually(() => expect(received).toEqual(['evt.grouping.upgraded.1']));
      await sub.stop();
    } finally {
      await upgraded.drain();
    }
  });

  it('a worker claims once a job when they come one at a time, and wakes for a retry when it is due', async () => {
    const quiet = await createEmbeddedBus({ pool, pollIntervalMs: 60_000 });
    const queue = quiet.workQueue('grouping-one-by-one');
    const attempts = new Map<number, number>();
    const worker = await queue.process(async (job) => {
      const i = job.json<{ i: number }>().i;
      attempts.set(i, (attempts.get(i) ?? 0) + 1);
      // The last job fails once: its retry is due after the backoff (250 ms), not at the minute's poll.
      if (i === 9 && job.attempt === 1) throw new Error('once');
    }, { concurrency: 4 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      counts.clear();
      for (let i = 0; i < 10; i++) {
        await queue.enqueue(bytes({ i }));
        await eventually(() => expect(attempts.get(i)).toBeGreaterThanOrEqual(1), 5_000);
      }
      await eventually(() => expect(attempts.get(9)).toBe(2), 5_000);
      // One claim a job (and one for the retry): a job done no longer sets off a claim that finds nothing.
      expect(counts.get('claimJobs') ?? 0).toBeLessThanOrEqual(12);
      await eventually(async () => expect(await queue.depth()).toBe(0));
    } finally {
      await worker.stop();
      await quiet.drain();
    }
  });

  it('enqueues jobs made at once in fewer statements (a msgId met twice is one job) and marks them done in groups', async () => {
    const queue = bus.workQueue('grouping-jobs');
    const ids = Array.from({ length: 100 }, (_, i) => (i % 10 === 9 ? `job-${i - 5}` : `job-${i}`));
    const results = await Promise.all(ids.map((msgId, i) => queue.enqueue(bytes({ i }), { msgId })));
    expect(counts.get('enqueue') ?? 0).toBeLessThan(50);
    expect(results.filter((r) => r.duplicate)).toHaveLength(10);
    // A duplicate answers the job that holds its msgId.
    ids.forEach((msgId, i) => {
      if (results[i]!.duplicate) expect(results[i]!.jobId).toBe(results[ids.indexOf(msgId)]!.jobId);
    });
    expect(new Set(results.map((r) => r.jobId)).size).toBe(90);
    expect(await queue.depth()).toBe(90);

    const ran: number[] = [];
    const worker = await queue.process(async (job) => {
      ran.push(job.json<{ i: number }>().i);
    }, { concurrency: 32 });
    try {
      await eventually(async () => expect(await queue.depth()).toBe(0), 15_000);
    } finally {
      await worker.stop();
    }
    expect(ran).toHaveLength(90);
    expect(counts.get('done') ?? 0).toBeLessThan(90);
    const { rows } = await pool.query(`SELECT status, count(*)::int AS n FROM cadre_bus.jobs WHERE queue = 'grouping-jobs' GROUP BY status`);
    expect(rows).toEqual([{ status: 'done', n: 90 }]);
  });
});
