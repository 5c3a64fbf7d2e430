import type { Readable } from 'node:stream';
import { assertName, ValidationError } from '@cadre/proto';
import type { BlobInfo, BlobStore, DeadLetter, DeadLetterListOptions, DeadLetterPage } from '../types';
import { decodeLetter, encodeLetter, letterName, summaryOf } from './letter';

// Job ids are the queue's own (a sequence on NATS, a UUID embedded): plain ASCII, which also keeps
// them valid object names on NATS.
const JOB_ID = /^[A-Za-z0-9_.:-]{1,200}$/;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
// Letters of a page are read this many at a time.
const READ_AT_ONCE = 8;

/** The letter of `queue`'s job `jobId` in the dead-letter bucket, or undefined. */
export async function readDeadLetter(store: BlobStore, queue: string, jobId: string): Promise<DeadLetter | undefined> {
  assertName('queue', queue);
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) throw new ValidationError('jobId must be 1 to 200 letters, digits, _ . : or -', { jobId });
  return readLetter(store, letterName(queue, jobId));
}

/**
 * Keeps a letter unless this job's letter is already there (an earlier dead-lettering whose
 * event or ack did not go through): then that one stays, so the letter and the event, which is
 * published once, tell the same story. Returns the letter kept.
 */
export async function keepLetter(store: BlobStore, letter: DeadLetter): Promise<DeadLetter> {
  const name = letterName(letter.queue, letter.jobId);
  const existing = await readLetter(store, name).catch(() => undefined);
  // Same id, other body: a queue whose ids started over (a recreated stream); the new job wins.
  if (existing && existing.data === letter.data) return existing;
  await store.put(name, encodeLetter(letter));
  return letter;
}

/** One page of the letters in the bucket, newest first. */
export async function listDeadLetters(store: BlobStore, options: DeadLetterListOptions = {}): Promise<DeadLetterPage> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ValidationError(`limit must be an integer from 1 to ${MAX_LIMIT}`, { limit });
  if (options.queue !== undefined) assertName('queue', options.queue);
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const prefix = options.queue === undefined ? undefined : `${options.queue}/`;
  const sorted = (await store.list())
    .filter((info) => prefix === undefined || info.name.startsWith(prefix))
    .sort(newestFirst);
  const start = after === undefined ? 0 : sorted.findIndex((info) => newestFirst(info, after) > 0);
  const page = start < 0 ? [] : sorted.slice(start, start + limit);
  const letters: DeadLetter[] = [];
  for (let i = 0; i < page.length; i += READ_AT_ONCE) {
    const read = await Promise.all(page.slice(i, i + READ_AT_ONCE).map((info) => readLetter(store, info.name)));
    // A letter deleted since the listing is left out.
    for (const letter of read) if (letter) letters.push(letter);
  }
  const last = page[page.length - 1];
  const more = start >= 0 && start + limit < sorted.length;
  return { letters: letters.map(summaryOf), ...(more && last ? { nextCursor: encodeCursor(last) } : {}) };
}

type Position = Pick<BlobInfo, 'name' | 'modified'>;

/** Newest first; letters kept in the same millisecond by name, last first. */
function newestFirst(a: Position, b: Position): number {
  const byTime = b.modified.getTime() - a.modified.getTime();
  if (byTime !== 0) return byTime;
  return a.name < b.name ? 1 : a.name > b.name ? -1 : 0;
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.modified.getTime(), position.name])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const [time, name] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof time === 'number' && Number.isFinite(time) && typeof name === 'string') return { modified: new Date(time), name };
  } catch {
    // reported below
  }
  throw new ValidationError('invalid cursor', { cursor });
}

async function readLetter(store: BlobStore, name: string): Promise<DeadLetter | undefined> {
  const content = await store.get(name);
  return content ? decodeLetter(await readAll(content), name) : undefined;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
