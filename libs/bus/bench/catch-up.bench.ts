import { createEmbeddedBus, type Bus } from '@cadre/bus';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { fmt, ratio, verdict, runAlone, type BenchResult } from '../../../bench/stats';

/** Messages a reader is behind by; one in SPARSE of them matches its filter. */
const BACKLOG = 80_000;
const SPARSE = 16;
const WANTED = BACKLOG / SPARSE;
/**
 * How much longer than reading the wanted messages alone a reader far behind may take: skipping
 * fifteen messages for each one wanted costs a quarter more at most.
 */
const TARGET_RATIO = 1.25;

type Reader = 'durable consumer' | 'replay';
type Row = { reader: Reader; stream: string; delivered: number; ms: number };

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** Stores `total` messages, one in `every` of them under `evt.catchup.wanted.>` (every = 1: all). */
async function fill(bus: Bus, total: number, every: number): Promise<void> {
  const chunk = 256;
  for (let start = 0; start < total; start += chunk) {
    const messages = Array.from({ length: Math.min(chunk, total - start) }, (_, k) => {
      const i = start + k;
      const kind = i % every === 0 ? 'wanted' : 'other';
      return { subject: `evt.catchup.${kind}.${i}`, data: bytes({ i, text: 'a message of the backlog' }), options: { msgId: `catchup-${i}` } };
    });
    const { error } = await bus.events.publishAll(messages);
    if (error !== undefined) throw error;
  }
}

/** Time from starting the reader until it has every wanted message once (a consumer acks each). */
async function readAll(bus: Bus, reader: Reader): Promise<{ delivered: number; ms: number }> {
  const seen = new Set<number>();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  // A redelivery is not a second message: count each sequence once.
  const receive = (seq: number): void => {
    seen.add(seq);
    if (seen.size === WANTED) done();
  };
  const began = performance.now();
  const subscription = reader === 'durable consumer'
    ? await bus.events.consume({ durable: 'catch-up', filterSubject: 'evt.catchup.wanted.>' }, async (message) => {
      await message.ack();
      receive(message.seq);
    })
    : await bus.events.replay({ fromSeq: 1, filterSubject: 'evt.catchup.wanted.>' }, (message) => receive(message.seq));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${reader}: ${seen.size} of ${WANTED} messages in 10 minutes`)), 600_000);
  });
  let ms: number;
  try {
    await Promise.race([finished, timedOut]);
    ms = performance.now() - began;
  } finally {
    clearTimeout(timer);
    await subscription.stop();
  }
  return { delivered: seen.size, ms };
}

/**
 * A reader far behind on the embedded bus: a durable consumer (a projection or a backstop after a
 * burst) and a replay (a projection following from its checkpoint, a live feed resumed), each
 * with a filter that takes one message in sixteen of an 80,000-message backlog, against the same
 * reader on a stream that holds only the messages it wants (same run, same database).
 */
export async function run(): Promise<BenchResult> {
  const database: TestDatabase = await createTestDatabase('cadre_bench_catchup');
  const rows: Row[] = [];
  try {
    for (const [schema, total, every, stream] of [
      ['catchup_alone', WANTED, 1, `${WANTED.toLocaleString('en')} messages, all wanted`],
      ['catchup_sparse', BACKLOG, SPARSE, `${BACKLOG.toLocaleString('en')} messages, one in ${SPARSE} wanted`],
    ] as const) {
      // Polls once a minute: the readers go on by their own claims and pages, not by the poll.
      const bus = await createEmbeddedBus({ databaseUrl: database.localUrl, schema, pollIntervalMs: 60_000 });
      try {
        await fill(bus, total, every);
        for (const reader of ['durable consumer', 'replay'] as const) rows.push({ reader, stream, ...(await readAll(bus, reader)) });
      } finally {
        await bus.drain();
      }
    }
  } finally {
    await database.dispose();
  }
  const alone = (reader: Reader) => rows.find((r) => r.reader === reader && r.stream.endsWith('all wanted'))!;
  const lines = [
    `### A reader far behind (embedded bus, ${WANTED.toLocaleString('en')} messages wanted)`,
    '',
    '| reader | stream behind it | delivered | ms | wanted messages/s | vs the wanted messages alone |',
    '|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.reader} | ${r.stream} | ${r.delivered} | ${fmt(r.ms, 0)} | ${fmt((r.delivered / r.ms) * 1000, 0)} | ${ratio(r.ms, alone(r.reader).ms)} |`),
    '',
    `A claim and a replay's page look at a window of the stream past their position (1,024 and 4,096 messages), so a`,
    'reader with a narrow filter reads the messages it skips once; unbounded, each claim or page read all that was left and',
    `sorted what matched. Target: the sparse stream takes at most ${TARGET_RATIO}× the time of the wanted messages alone.`,
  ];
  const headlines = rows.filter((r) => !r.stream.endsWith('all wanted')).map((r) => {
    const base = alone(r.reader);
    return {
      figure: `${r.reader} catching up on ${WANTED.toLocaleString('en')} of ${BACKLOG.toLocaleString('en')} messages (embedded)`,
      value: `${fmt(r.ms, 0)} ms`, baseline: `${fmt(base.ms, 0)} ms the ${WANTED.toLocaleString('en')} alone`,
      ratio: ratio(r.ms, base.ms), target: `≤ ${TARGET_RATIO}×`, verdict: verdict(r.delivered === WANTED && r.ms <= TARGET_RATIO * base.ms),
    };
  });
  return { section: lines.join('\n'), headlines };
}

if (require.main === module) runAlone(run);
