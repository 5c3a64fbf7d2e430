import type { Pool } from 'pg';
import { MetricKind, exactSearch, type Matches } from 'usearch';
import { normalize } from './provider';

/** Which memories a vector search may return. */
export interface VectorFilter {
  /** Only this owner's (undefined: every owner's, for admins). */
  readonly owner?: string;
  /** Only these vaults (undefined: every vault). */
  readonly vaults?: readonly string[];
}

export interface VectorHit {
  readonly id: string;
  readonly similarity: number;
}

/**
 * A replica's in-process vector index (the embedded Postgres has no pgvector): every memory's
 * vector of the current model, normalized, kept current from `memory_vectors` by its sequence
 * number before each search (so a vector written on another replica is seen at once). The
 * vectors of each vault and owner lie in contiguous buffers (see `Partition`): a brute-force SIMD
 * scan (usearch) of their int8 copies picks candidates that are ranked by their exact float32
 * cosine; only the vaults a search may return are scanned, and vectors of another model are never held.
 */
export interface VectorIndex {
  refresh(): Promise<void>;
  search(query: Float32Array, filter: VectorFilter, k: number, minSimilarity: number): VectorHit[];
  readonly size: number;
}

/**
 * Sequence numbers are taken when a row is written, and a write with a lower number may commit
 * after one with a higher number was read: each refresh reads again this far back.
 */
const REREAD = 64;

/** A normalized vector as int8, scaled by its largest component (cosine ignores the scale; the full int8 range keeps precision). */
function quantize(vector: Float32Array, out: Int8Array, offset: number): void {
  let max = 0;
  for (const x of vector) max = Math.max(max, Math.abs(x));
  const scale = max === 0 ? 0 : 127 / max;
  for (let i = 0; i < vector.length; i++) out[offset + i] = Math.round(vector[i]! * scale);
}

/** Candidates the int8 scan keeps for `k` hits, re-ranked exactly in float32. */
const candidates = (k: number) => k * 4 + 16;

/**
 * The vectors of one vault and owner (and length), row after row in growing buffers — float32
 * (normalized) and int8 (quantized) — a deletion moves the last row into the hole. A search scans
 * the int8 rows with usearch's SIMD exact cosine search (a quarter of the memory to read) for
 * `4k + 16` candidates, then ranks those by their exact float32 cosine: the same hits as an exact
 * float32 scan unless a true hit's quantized cosine falls behind `4k + 16` others.
 */
class Partition {
  private data: Float32Array;
  private quantized: Int8Array;
  private readonly ids: string[] = [];
  private readonly slots = new Map<string, number>();
  constructor(readonly agentId: string, readonly owner: string, readonly dims: number) {
    this.data = new Float32Array(dims * 16);
    this.quantized = new Int8Array(dims * 16);
  }
  get count(): number {
    return this.ids.length;
  }
  set(id: string, vector: Float32Array): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      if ((slot + 1) * this.dims > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
        const grownQ = new Int8Array(this.quantized.length * 2);
        grownQ.set(this.quantized);
        this.quantized = grownQ;
      }
      this.ids.push(id);
      this.slots.set(id, slot);
    }
    this.data.set(vector, slot * this.dims);
    quantize(vector, this.quantized, slot * this.dims);
  }
  delete(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    if (slot !== last) {
      const moved = this.ids[last]!;
      this.data.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      this.quantized.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      this.ids[slot] = moved;
      this.slots.set(moved, slot);
    }
    this.ids.pop();
    this.slots.delete(id);
  }
  /** The exact cosine of a row with a normalized query. */
  private similarity(slot: number, query: Float32Array): number {
    const data = this.data;
    const dims = this.dims;
    const offset = slot * dims;
    let sum = 0;
    for (let i = 0; i < dims; i++) sum += data[offset + i]! * query[i]!;
    return sum;
  }
  /** The `k` nearest rows of a normalized query, as ids and cosine similarities, best first. */
  nearest(query: Float32Array, query8: Int8Array, k: number): VectorHit[] {
    const n = this.ids.length;
    if (n === 0 || k <= 0) return [];
    let slots: number[];
    if (n <= candidates(k)) {
      slots = Array.from({ length: n }, (_, i) => i);
    } else {
      const found = exactSearch(this.quantized.subarray(0, n * this.dims), query8, this.dims, candidates(k), MetricKind.Cos) as Matches;
      slots = Array.from(found.keys, (key) => Number(key));
    }
    return slots.map((slot) => ({ id: this.ids[slot]!, similarity: this.similarity(slot, query) })).sort(bySimilarity).slice(0, k);
  }
}

/** Partitions by vault, owner and length, so a search scans only the vaults it may return. */
class Partitions {
  private readonly byKey = new Map<string, Partition>();
  private readonly entries = new Map<string, { readonly partition: Partition; readonly seq: number }>();
  get size(): number {
    return this.entries.size;
  }
  seqOf(id: string): number | undefined {
    return this.entries.get(id)?.seq;
  }
  set(id: string, owner: string | null, agentId: string, vector: Float32Array, seq: number): void {
    const key = `${agentId}\u0000${owner ?? ''}\u0000${vector.length}`;
    let partition = this.byKey.get(key);
    if (partition === undefined) this.byKey.set(key, (partition = new Partition(agentId, owner ?? '', vector.length)));
    const before = this.entries.get(id);
    if (before !== undefined && before.partition !== partition) before.partition.delete(id);
    partition.set(id, vector);
    this.entries.set(id, { partition, seq });
  }
  delete(id: string): void {
    this.entries.get(id)?.partition.delete(id);
    this.entries.delete(id);
  }
  /** The partitions a filter allows, of vectors this long. */
  *matching(filter: VectorFilter, dims: number): Iterable<Partition> {
    const vaults = filter.vaults === undefined ? undefined : new Set(filter.vaults);
    for (const partition of this.byKey.values()) {
      if (partition.dims !== dims || partition.count === 0) continue;
      if (vaults !== undefined && !vaults.has(partition.agentId)) continue;
      if (filter.owner !== undefined && partition.owner !== filter.owner) continue;
      yield partition;
    }
  }
}

/** Best first; equal similarities by id, so both similarity paths (this index, pgvector) order ties alike. */
export const bySimilarity = (a: VectorHit, b: VectorHit): number => b.similarity - a.similarity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Where an index reads its vectors: a table with an id, an owner and a vault column (a memory's vault, a section's document). */
export interface VectorTable {
  readonly table: string;
  readonly id: string;
  readonly vault: string;
}

export const MEMORY_VECTORS: VectorTable = { table: 'memory_vectors', id: 'memory_id', vault: 'agent_id' };
export const SECTION_VECTORS: VectorTable = { table: 'document_vectors', id: 'id', vault: 'document_id' };

export function createVectorIndex(pool: Pool, schema: string, model: string, source: VectorTable = MEMORY_VECTORS): VectorIndex {
  const entries = new Partitions();
  let lastSeq = 0;
  let refreshing: Promise<void> | undefined;

  /** Reads the vectors of these rows (a new sequence number: a new or changed vector, or a tombstone). */
  async function apply(rows: ReadonlyArray<{ memory_id: string; seq: string }>): Promise<void> {
    const changed = rows.filter((row) => entries.seqOf(row.memory_id) !== Number(row.seq));
    if (changed.length === 0) return;
    const { rows: full } = await pool.query<{ memory_id: string; owner: string | null; agent_id: string; model: string; vector: Buffer | null; seq: string }>(
      `select ${source.id} as memory_id, owner, ${source.vault} as agent_id, model, vector, seq from "${schema}".${source.table} where ${source.id} = any($1)`,
      [changed.map((r) => r.memory_id)],
    );
    for (const row of full) {
      // A zero vector (a text with nothing the model knows) is near nothing: not held (pgvector's cosine leaves it out too).
      if (row.vector === null || row.model !== model || isZero(row.vector)) {
        entries.delete(row.memory_id);
        continue;
      }
      const floats = new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength));
      entries.set(row.memory_id, row.owner, row.agent_id, normalize(floats), Number(row.seq));
    }
    const present = new Set(full.map((row) => row.memory_id));
    for (const row of changed) if (!present.has(row.memory_id)) entries.delete(row.memory_id);
  }

  async function load(): Promise<void> {
    for (;;) {
      // Sequence numbers only (cheap); vectors are read for the rows this replica has not seen at that number.
      const { rows } = await pool.query<{ memory_id: string; seq: string }>(
        `select ${source.id} as memory_id, seq from "${schema}".${source.table} where seq > $1 order by seq limit 5000`, [Math.max(0, lastSeq - REREAD)],
      );
      await apply(rows);
      const max = rows.reduce((m, row) => Math.max(m, Number(row.seq)), lastSeq);
      const advanced = max > lastSeq;
      lastSeq = max;
      if (rows.length < 5000 || !advanced) return;
    }
  }

  return {
    get size() {
      return entries.size;
    },
    refresh() {
      // One refresh at a time per replica; searches arriving meanwhile share it.
      refreshing ??= load().finally(() => { refreshing = undefined; });
      return refreshing;
    },
    search(query, filter, k, minSimilarity) {
      const q = normalize(query);
      const q8 = new Int8Array(q.length);
      quantize(q, q8, 0);
      const hits: VectorHit[] = [];
      for (const partition of entries.matching(filter, q.length)) {
        for (const hit of partition.nearest(q, q8, k)) if (hit.similarity >= minSimilarity) hits.push(hit);
      }
      return hits.sort(bySimilarity).slice(0, k);
    },
  };
}

/** Whether a stored vector (`bytea` of float32) is all zeros. */
const isZero = (bytes: Buffer): boolean => {
  for (let i = 0; i < bytes.length; i += 4) if (bytes.readFloatLE(i) !== 0) return false;
  return true;
};

/** A vector as stored (`bytea` of float32). */
export const vectorBytes = (vector: Float32Array): Buffer => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
