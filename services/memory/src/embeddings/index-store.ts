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

export function createVectorIndex(pool: Pool, schema: string, model: string): VectorIndex {
  const entries = new Map<string, Entry>();
  let lastSeq = 0;
  let refreshing: Promise<void> | undefined;

  /** Reads the vectors of these rows (a new sequence number: a new or changed vector, or a tombstone). */
  async function apply(rows: ReadonlyArray<{ memory_id: string; seq: string }>): Promise<void> {
    const changed = rows.filter((row) => entries.get(row.memory_id)?.seq !== Number(row.seq));
    if (changed.length === 0) return;
    const { rows: full } = await pool.query<{ memory_id: string; owner: string | null; agent_id: string; model: string; vector: Buffer | null; seq: string }>(
      `select memory_id, owner, agent_id, model, vector, seq from "${schema}".memory_vectors where memory_id = any($1)`, [changed.map((r) => r.memory_id)],
    );
    for (const row of full) {
      if (row.vector === null || row.model !== model) {
        entries.delete(row.memory_id);
        continue;
      }
      const floats = new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength));
      entries.set(row.memory_id, { owner: row.owner, agentId: row.agent_id, model: row.model, vector: normalize(floats), seq: Number(row.seq) });
    }
    for (const row of changed) if (!full.some((f) => f.memory_id === row.memory_id)) entries.delete(row.memory_id);
  }

  async function load(): Promise<void> {
    for (;;) {
      // Sequence numbers only (cheap); vectors are read for the rows this replica has not seen at that number.
      const { rows } = await pool.query<{ memory_id: string; seq: string }>(
        `select memory_id, seq from "${schema}".memory_vectors where seq > $1 order by seq limit 5000`, [Math.max(0, lastSeq - REREAD)],
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
      const vaults = filter.vaults === undefined ? undefined : new Set(filter.vaults);
      const best: VectorHit[] = [];
      for (const [id, entry] of entries) {
        if (filter.owner !== undefined && entry.owner !== filter.owner) continue;
        if (vaults !== undefined && !vaults.has(entry.agentId)) continue;
        const v = entry.vector;
        if (v.length !== q.length) continue;
        let dot = 0;
        for (let i = 0; i < q.length; i++) dot += q[i]! * v[i]!;
        if (dot < minSimilarity) continue;
        if (best.length < k) {
          best.push({ id, similarity: dot });
          if (best.length === k) best.sort((a, b) => b.similarity - a.similarity);
        } else if (dot > best[k - 1]!.similarity) {
          best[k - 1] = { id, similarity: dot };
          best.sort((a, b) => b.similarity - a.similarity);
        }
      }
      return best.sort((a, b) => b.similarity - a.similarity);
    },
  };
}

/** A vector as stored (`bytea` of float32). */
export const vectorBytes = (vector: Float32Array): Buffer => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
