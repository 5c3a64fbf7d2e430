import { randomUUID } from 'node:crypto';
import type { Bus } from '@cadre/bus';
import { eventSubject, type EventEnvelope } from '@cadre/proto';

export interface TestEvent {
  readonly domain: string;
  readonly type: string;
  /** The subject's scope token (run, swarm, session or user id). */
  readonly scope: string;
  readonly data: Record<string, unknown>;
  /** The user who owns what the event is about (`meta.owner`). */
  readonly owner?: string;
}

export function envelopeOf(event: TestEvent): EventEnvelope {
  return {
    id: randomUUID(),
    type: event.type,
    stream: `${event.domain}-${event.scope}`,
    version: 1,
    occurredAt: new Date().toISOString(),
    data: event.data,
    meta: { schemaVersion: 1, ...(event.owner !== undefined ? { owner: event.owner } : {}) },
  };
}

/** Publishes an event straight on the stream, as the outbox relay would; returns its sequence. */
export async function publishEvent(bus: Bus, event: TestEvent): Promise<number> {
  const envelope = envelopeOf(event);
  const ack = await bus.events.publish(eventSubject(event.domain, event.type, event.scope), Buffer.from(JSON.stringify(envelope)), { msgId: envelope.id });
  return ack.seq;
}

/** Publishes `count` events with `concurrency` publishes in flight; returns their sequences in order. */
export async function publishMany(bus: Bus, count: number, make: (i: number) => TestEvent, concurrency = 16): Promise<number[]> {
  const seqs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      seqs.push(await publishEvent(bus, make(i)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return seqs.sort((a, b) => a - b);
}

/** Every sequence stored in the stream from `fromSeq` to `toSeq`, read back from the bus. */
export async function storedSeqs(bus: Bus, fromSeq: number, toSeq: number): Promise<number[]> {
  const seqs: number[] = [];
  if (toSeq < fromSeq) return seqs;
  let reached: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const subscription = await bus.events.replay({ fromSeq }, (message) => {
    if (message.seq <= toSeq) seqs.push(message.seq);
    if (message.seq >= toSeq) reached();
  });
  await done;
  await subscription.stop();
  return seqs;
}

/** A stored event as read back from the bus: its sequence, subject and the envelope's id. */
export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  /** `Nats-Msg-Id` given at publish: the event's id for the outbox relay and for `publishEvent`. */
  readonly msgId: string;
  readonly envelopeId: string;
}

/** Every message of the stream from `fromSeq` to `toSeq`, read back from the bus (the authoritative list). */
export async function storedEvents(bus: Bus, fromSeq: number, toSeq: number): Promise<StoredEvent[]> {
  const stored: StoredEvent[] = [];
  if (toSeq < fromSeq) return stored;
  let reached: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const subscription = await bus.events.replay({ fromSeq }, (message) => {
    if (message.seq <= toSeq) {
      stored.push({ seq: message.seq, subject: message.subject, msgId: message.msgId, envelopeId: message.json<{ id: string }>().id });
    }
    if (message.seq >= toSeq) reached();
  });
  await done;
  await subscription.stop();
  return stored;
}
