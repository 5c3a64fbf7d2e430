import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// A generated corpus for the memory benchmarks: pseudo-words from a seeded generator, memories
// drawn from them, synonym sets, and an OpenAI-compatible embeddings server that maps each word
// to its synonym set's concept (hashed into 384 dimensions), so reworded queries are near their
// memories only by meaning — the part a real embedding model plays.

export const DIMENSIONS = 384;

/** A small seeded PRNG (mulberry32), so every run generates the same corpus. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'tu', 'sa', 'vor', 'ne', 'pri', 'dal', 'quo', 'bex', 'zu', 'fen', 'gar', 'hol', 'wen', 'ist', 'ora', 'ply'];

/** `count` distinct pseudo-words of 3 or 4 syllables. */
export function words(count: number, random: () => number): string[] {
  const out = new Set<string>();
  while (out.size < count) {
    const n = 3 + Math.floor(random() * 2);
    let word = '';
    for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)]!;
    out.add(word);
  }
  return [...out];
}

/** A word drawn with a Zipf-like skew (a few common words, a long tail). */
export const zipf = (vocabulary: readonly string[], random: () => number): string => vocabulary[Math.floor(vocabulary.length * random() ** 3)]!;

function hash(text: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The vector of a text: each word's concept (its synonym set, else the word) adds ±weight on two
 * hashed axes — 1 for a word of a synonym set, 0.25 for any other (as a model weighs a text's
 * telling words over its filler), so a one-word query and a memory holding its synonym are near.
 */
export function embed(text: string, concepts: ReadonlyMap<string, string>): number[] {
  const vector = new Array<number>(DIMENSIONS).fill(0);
  for (const word of text.toLowerCase().split(/[^a-z]+/)) {
    if (word.length < 3) continue;
    const concept = concepts.get(word);
    const weight = concept === undefined ? 0.25 : 1;
    for (const seed of [1, 2]) {
      const h = hash(concept ?? word, seed);
      vector[h % DIMENSIONS] = (vector[h % DIMENSIONS] ?? 0) + ((h >>> 16) & 1 ? weight : -weight);
    }
  }
  return vector;
}

export interface EmbeddingsServer {
  readonly url: string;
  requests: number;
  close(): Promise<void>;
}

/** An OpenAI-compatible `POST /v1/embeddings` computing `embed` for each input. */
export async function startEmbeddingsServer(concepts: ReadonlyMap<string, string>): Promise<EmbeddingsServer> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; input: string[] };
      const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: embed(text, concepts) }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', model: body.model, data }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() { return state.requests; },
    set requests(n: number) { state.requests = n; },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
