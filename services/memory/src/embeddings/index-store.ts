import type { Pool } from 'pg';
import { normalize } from './provider';

interface Entry {
  readonly owner: string | null;
  readonly agentId: string;
  readonly model: string;
  readonly vector: Float32Array;
  /** The row's sequence number when it was read. */
  readonly seq: number;
}

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
 * number before each search (so a vector written on another replica is seen at once). A search
 * is an exact scan, filtered by owner and vault; vectors of another model are never in it.
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

/** Vectors by vault and owner, so a search scans only the vaults it may return. */
class Partitions {
  private readonly byVault = new Map<string, Map<string, Entry>>();
  private readonly vaultOf = new Map<string, string>();
  private static key(entry: Pick<Entry, 'owner' | 'agentId'>): string {
    return `${entry.agentId}\u0000${entry.owner ?? ''}`;
  }
  get size(): number {
    return this.vaultOf.size;
  }
  get(id: string): Entry | undefined {
    const vault = this.vaultOf.get(id);
    return vault === undefined ? undefined : this.byVault.get(vault)?.get(id);
  }
  set(id: string, entry: Entry): void {
    this.delete(id);
    const key = Partitions.key(entry);
    let vault = this.byVault.get(key);
    if (vault === undefined) this.byVault.set(key, (vault = new Map()));
    vault.set(id, entry);
    this.vaultOf.set(id, key);
  }
  delete(id: string): void {
    const key = this.vaultOf.get(id);
    if (key === undefined) return;
    this.byVault.get(key)?.delete(id);
    this.vaultOf.delete(id);
  }
  /** The partitions a filter allows. */
  *matching(filter: VectorFilter): Iterable<Map<string, Entry>> {
    const vaults = filter.vaults === undefined ? undefined : new Set(filter.vaults);
    for (const [key, entries] of this.byVault) {
      const [agentId, owner] = key.split('\u0000') as [string, string];
      if (vaults !== undefined && !vaults.has(agentId)) continue;
      if (filter.owner !== undefined && owner !== filter.owner) continue;
      yield entries;
    }
  }
}

/** Dot product of two vectors of the same length, four lanes at a time. */
function dot(a: Float32Array, b: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length - (a.length % 4);
  let i = 0;
  for (; i < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < a.length; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + s2 + s3;
}

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
    const changed = rows.filter((row) => entries.get(row.memory_id)?.seq !== Number(row.seq));
    if (changed.length === 0) return;
    const { rows: full } = await pool.query<{ memory_id: string; owner: string | null; agent_id: string; model: string; vector: Buffer | null; seq: string }>(
      `select ${source.id} as memory_id, owner, ${source.vault} as agent_id, model, vector, seq from "${schema}".${source.table} where ${source.id} = any($1)`,
      [changed.map((r) => r.memory_id)],
    );
    for (const row of full) {
      if (row.vector === null || row.model !== model) {
        entries.delete(row.memory_id);
        continue;
      }
      const floats = new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength));
      entries.set(row.memory_id, { owner: row.owner, agentId: row.agent_id, model: row.model, vector: normalize(floats), seq: Number(row.seq) });
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
      const best: VectorHit[] = [];
      let floor = minSimilarity;
      for (const partition of entries.matching(filter)) {
        for (const [id, entry] of partition) {
          if (entry.vector.length !== q.length) continue;
          const similarity = dot(q, entry.vector);
          if (similarity < floor) continue;
          best.push({ id, similarity });
          if (best.length >= 2 * k) {
            // Keep the k best; what cannot enter them any more is skipped from here on.
            best.sort((a, b) => b.similarity - a.similarity);
            best.length = k;
            floor = Math.max(floor, best[k - 1]!.similarity);
          }
        }
      }
      return best.sort((a, b) => b.similarity - a.similarity).slice(0, k);
    },
  };
}

/** A vector as stored (`bytea` of float32). */
export const vectorBytes = (vector: Float32Array): Buffer => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
