import { eventSubject, jobDeadLettered, ValidationError, type EventEnvelope } from '@cadre/proto';
import { v7 as uuidv7 } from 'uuid';
import { decodeJson, encodeJson } from '../codec';
import type { DeadLetter, DeadLetterSummary, Headers } from '../types';
import { publicReason } from './reason';

/** The blob bucket both transports keep dead letters in, one blob per job: `<queue>/<jobId>`. */
export const DEAD_LETTER_BUCKET = 'deadletters';

export function letterName(queue: string, jobId: string): string {
  return `${queue}/${jobId}`;
}

export interface GivenUp {
  readonly queue: string;
  readonly jobId: string;
  readonly attempts: number;
  readonly reason: string;
  readonly data: Uint8Array;
  readonly headers: Headers;
}

/** The letter of a job that gave up now. */
export function newDeadLetter(job: GivenUp, now: Date = new Date()): DeadLetter {
  return {
    queue: job.queue,
    jobId: job.jobId,
    attempts: job.attempts,
    reason: job.reason,
    data: Buffer.from(job.data.buffer, job.data.byteOffset, job.data.byteLength).toString('base64'),
    headers: job.headers,
    time: now.toISOString(),
  };
}

export function encodeLetter(letter: DeadLetter): Uint8Array {
  return encodeJson(letter);
}

/** A stored letter; anything else in the bucket is a ValidationError naming the blob. */
export function decodeLetter(bytes: Uint8Array, name: string): DeadLetter {
  const letter = decodeJson<Partial<DeadLetter> | null>(bytes);
  const ok = letter !== null && typeof letter === 'object'
    && typeof letter.queue === 'string' && typeof letter.jobId === 'string' && typeof letter.attempts === 'number'
    && typeof letter.reason === 'string' && typeof letter.data === 'string' && typeof letter.time === 'string'
    && typeof letter.headers === 'object' && letter.headers !== null;
  if (!ok) throw new ValidationError(`blob ${DEAD_LETTER_BUCKET}/${name} is not a dead letter`, { name });
  return letter as DeadLetter;
}

/** What a listing shows of a letter: the reason as the event has it. */
export function summaryOf(letter: DeadLetter): DeadLetterSummary {
  return {
    queue: letter.queue,
    jobId: letter.jobId,
    attempts: letter.attempts,
    reason: publicReason(letter.reason, Buffer.from(letter.data, 'base64')),
    time: letter.time,
  };
}

export interface DeadLetterEvent {
  readonly subject: string;
  /** Deduplication id: one event per job, however often it is dead-lettered again. */
  readonly msgId: string;
  readonly envelope: EventEnvelope;
  readonly payload: Uint8Array;
}

/**
 * The `job_dead_lettered` event of a letter: an envelope like every event on the stream, on
 * `evt.bus.job_dead_lettered.<queue>`. It carries the queue, the job id, the attempts and the
 * public reason — never the job's body or headers (only its trace context, to join its trace).
 */
export function deadLetterEvent(letter: DeadLetter): DeadLetterEvent {
  const data = jobDeadLettered.data.parse({
    queue: letter.queue,
    job_id: letter.jobId,
    attempts: letter.attempts,
    reason: summaryOf(letter).reason,
  });
  const { traceparent, tracestate } = letter.headers;
  const envelope: EventEnvelope = {
    id: uuidv7(),
    type: jobDeadLettered.type,
    stream: `deadletter-${letter.queue}-${letter.jobId}`,
    version: 1,
    occurredAt: letter.time,
    data,
    meta: {
      schemaVersion: jobDeadLettered.version,
      ...(traceparent !== undefined ? { traceparent } : {}),
      ...(tracestate !== undefined ? { tracestate } : {}),
    },
  };
  return {
    subject: eventSubject(jobDeadLettered.domain, jobDeadLettered.type, letter.queue),
    msgId: `dl:${letter.queue}:${letter.jobId}`,
    envelope,
    payload: encodeJson(envelope),
  };
}
