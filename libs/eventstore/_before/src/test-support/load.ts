import { v7 as uuidv7 } from 'uuid';
import { CadreError, ConcurrencyError, type EventEnvelope } from '@cadre/proto';
import type { Bus, Subscription } from '@cadre/bus';
import type { EventStore, NewEvent } from '../index';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LoadOptions {
  readonly store: EventStore;
  readonly streams: number;
  readonly eventsPerStream: number;
  readonly writers: number;
  /** Pause between a writer's appends, to spread the load over the fault window. */
  readonly pauseMs?: number;
  /** Appended events so far (for triggering faults part-way). */
  readonly onProgress?: (appended: number) => void;
}

export interface LoadResult {
  /** Event ids appended, per stream, in version order. */
  readonly ids: ReadonlyMap<string, readonly string[]>;
  /** Errors the writers met and retried, by class name. */
  readonly errors: ReadonlyMap<string, number>;
  /** Errors that were not typed CadreErrors (should stay empty). */
  readonly untyped: readonly unknown[];
}

/**
 * Writers that each own some streams and append 1-3 events at a time at the expected version,
 * retrying whatever fails. An append whose commit outcome was unknown (connection lost) and
 * whose retry meets a conflict is resolved by reading the stream back.
 */
export async function writeLoad(options: LoadOptions): Promise<LoadResult> {
  const { store } = options;
  const ids = new Map<string, string[]>();
  const errors = new Map<string, number>();
  const untyped: unknown[] = [];
  let appended = 0;

  const note = (error: unknown): void => {
    const name = error instanceof Error ? error.constructor.name : typeof error;
    errors.set(name, (errors.get(name) ?? 0) + 1);
    if (!(error instanceof CadreError)) untyped.push(error);
  };

  const landed = async (stream: string, batch: readonly NewEvent[]): Promise<boolean> => {
    for (;;) {
      try {
        const events = await store.readStream(stream);
        return events.some((e) => e.id === batch[0]?.id);
      } catch (error) {
        note(error);
        await sleep(50);
      }
    }
  };

  const appendSurely = async (stream: string, version: number, batch: readonly NewEvent[]): Promise<void> => {
    let uncertain = false;
    for (;;) {
      try {
        await store.append(stream, version === 0 ? 'no_stream' : version, batch);
        return;
      } catch (error) {
        note(error);
        if (error instanceof ConcurrencyError && uncertain && (await landed(stream, batch))) return;
        if (error instanceof ConcurrencyError && !uncertain) throw error;
        uncertain = true;
        await sleep(20 + Math.random() * 30);
      }
    }
  };

  const writer = async (w: number): Promise<void> => {
    const mine = Array.from({ length: options.streams }, (_, i) => i).filter((i) => i % options.writers === w).map((i) => `load-${i}`);
    const versions = new Map(mine.map((s) => [s, 0]));
    for (const s of mine) ids.set(s, []);
    while (versions.size > 0) {
      const open = [...versions.keys()];
      const stream = open[Math.floor(Math.random() * open.length)]!;
      const version = versions.get(stream)!;
      const size = Math.min(1 + Math.floor(Math.random() * 3), options.eventsPerStream - version);
      const batch: NewEvent[] = Array.from({ length: size }, (_, i) => ({ id: uuidv7(), type: 'tick', data: { n: version + i + 1 } }));
      await appendSurely(stream, version, batch);
      ids.get(stream)!.push(...batch.map((e) => e.id!));
      appended += size;
      options.onProgress?.(appended);
      if (version + size >= options.eventsPerStream) versions.delete(stream);
      else versions.set(stream, version + size);
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };

  await Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));
  return { ids, errors, untyped };
}

/** What a durable consumer received: envelopes with their stream sequence. */
export interface Received {
  readonly seq: number;
  readonly deliveryCount: number;
  readonly event: EventEnvelope;
}

/** Starts a durable consumer that records every delivery and acks it. */
export async function collect(bus: Bus, durable: string, filterSubject: string): Promise<{ readonly received: Received[]; readonly subscription: Subscription }> {
  const received: Received[] = [];
  const subscription = await bus.events.consume({ durable, filterSubject, ackWaitMs: 5_000 }, async (message) => {
    received.push({ seq: message.seq, deliveryCount: message.deliveryCount, event: message.json<EventEnvelope>() });
    await message.ack();
  });
  return { received, subscription };
}

/** Distinct event ids received. */
export function distinctIds(received: readonly Received[]): number {
  return new Set(received.map((r) => r.event.id)).size;
}

/**
 * Checks what the consumer got against what was appended: every id, none extra, and each
 * stream's events stored in version order (judged by stream sequence after dedup by id).
 */
export function verifyDelivery(appended: LoadResult, received: readonly Received[]) {
  const firstSeq = new Map<string, Received>();
  for (const r of received) {
    const seen = firstSeq.get(r.event.id);
    if (!seen || r.seq < seen.seq) firstSeq.set(r.event.id, r);
  }
  const expected = new Set([...appended.ids.values()].flat());
  const missing = [...expected].filter((id) => !firstSeq.has(id));
  const unexpected = [...firstSeq.keys()].filter((id) => !expected.has(id));
  const bySeq = [...firstSeq.values()].sort((a, b) => a.seq - b.seq);
  const perStream = new Map<string, string[]>();
  for (const r of bySeq) {
    const list = perStream.get(r.event.stream) ?? [];
    list.push(r.event.id);
    perStream.set(r.event.stream, list);
  }
  const outOfOrder = [...appended.ids.entries()].filter(([stream, list]) => JSON.stringify(perStream.get(stream)) !== JSON.stringify(list)).map(([s]) => s);
  // Two stored copies of one id would mean the bus's dedup let a republish through.
  const storedCopies = new Map<string, Set<number>>();
  for (const r of received) storedCopies.set(r.event.id, (storedCopies.get(r.event.id) ?? new Set()).add(r.seq));
  const storedTwice = [...storedCopies.values()].filter((seqs) => seqs.size > 1).length;
  return { missing: missing.length, unexpected: unexpected.length, outOfOrder, storedTwice, deliveries: received.length, distinct: firstSeq.size };
}
