import type { Pool } from 'pg';
import type { Worker } from '@cadre/kit';
import type { Logger } from '@cadre/logging';
import { embeddingText, type EmbeddingProvider } from './provider';
import { vectorBytes } from './index-store';
import { vectorLiteral, type PgvectorTable } from './pgvector';
import type { EmbeddingsRuntime } from './runtime';

export interface Embedder {
  readonly provider: EmbeddingProvider;
  /** Embeds these memories now (the writer's path, so a search that follows finds them by meaning). */
  embedNow(ids: readonly string[]): Promise<number>;
  /** Embeds up to `limit` memories that have no vector of the current model for their current text; how many it did. */
  embedPending(limit?: number): Promise<number>;
  /** Memories with and without a current vector, and vectors of other models. */
  progress(): Promise<{ memories: number; embedded: number; pending: number; otherModels: Record<string, number> }>;
}

const HASH = `md5(m.title || E'\\n' || m.body)`;

/** With pgvector, each vector is also written to the `embedding` column, and its model's HNSW index made once its length is known. */
export interface EmbedderPgvector {
  readonly type: string;
  readonly table: PgvectorTable;
}

/** The `embedding` column's SQL of an insert (column list, value list, update), for the parameter `$n`. */
export function embeddingColumn(pg: EmbedderPgvector | undefined, n: number): { column: string; value: string; update: string } {
  return pg === undefined ? { column: '', value: '', update: '' } : { column: ', embedding', value: `, $${n}::${pg.type}`, update: ', embedding = excluded.embedding' };
}

export function createEmbedder(pool: Pool, schema: string, provider: EmbeddingProvider, pg?: EmbedderPgvector): Embedder {
  const s = `"${schema}"`;
  const e = embeddingColumn(pg, 6);

  async function embedRows(rows: ReadonlyArray<{ id: string; owner: string | null; agent_id: string; title: string; body: string; hash: string }>): Promise<number> {
    if (rows.length === 0) return 0;
    const vectors = await provider.embed(rows.map((row) => embeddingText(row.title, row.body)));
    for (const [i, row] of rows.entries()) {
      const vector = vectors[i]!;
      // Written only if the memory still has the text embedded (an update meanwhile waits for the next round).
      const written = await pool.query(
        `insert into ${s}.memory_vectors (memory_id, owner, agent_id, model, dimensions, vector, content_hash, seq${e.column})
         select m.id, m.owner, m.agent_id, $2, $3, $4, $5, nextval('${s}.memory_vector_seq')${e.value} from ${s}.memories m
         where m.id = $1 and not m.deleted and ${HASH} = $5
         on conflict (memory_id) do update set owner = excluded.owner, agent_id = excluded.agent_id, model = excluded.model,
           dimensions = excluded.dimensions, vector = excluded.vector, content_hash = excluded.content_hash, seq = excluded.seq${e.update}`,
        [row.id, provider.model, vector.length, vectorBytes(vector), row.hash, ...(pg ? [vectorLiteral(vector)] : [])],
      );
      void pg?.table.ensureIndex(vector.length);
      if ((written.rowCount ?? 0) > 0) {
        await pool.query(`update ${s}.memories m set needs_embedding = false where m.id = $1 and ${HASH} = $2`, [row.id, row.hash]);
      }
    }
    return rows.length;
  }

  const select = `select m.id, m.owner, m.agent_id, m.title, m.body, ${HASH} as hash from ${s}.memories m`;
  let switched: Promise<unknown> | undefined;
  /** Once per replica: memories whose vector is of another model need embedding again (after a model change). */
  const markOtherModels = () => (switched ??= pool.query(
    `update ${s}.memories m set needs_embedding = true from ${s}.memory_vectors v
     where v.memory_id = m.id and v.model <> $1 and not m.needs_embedding and not m.deleted`, [provider.model],
  ));
  return {
    provider,
    async embedNow(ids) {
      const { rows } = await pool.query(`${select} where m.id = any($1) and m.needs_embedding and not m.deleted`, [ids]);
      return embedRows(rows);
    },
    async embedPending(limit = 256) {
      await markOtherModels();
      const { rows } = await pool.query(`${select} where m.needs_embedding and not m.deleted order by m.updated_at limit $1`, [limit]);
      return embedRows(rows);
    },
    async progress() {
      await markOtherModels();
      const { rows } = await pool.query<{ memories: string; embedded: string }>(
        `select count(*) as memories, count(*) filter (where not needs_embedding) as embedded from ${s}.memories where not deleted`,
      );
      const others = await pool.query<{ model: string; n: string }>(
        `select model, count(*) as n from ${s}.memory_vectors where model <> $1 and vector is not null group by model`, [provider.model],
      );
      const memories = Number(rows[0]!.memories);
      const embedded = Number(rows[0]!.embedded);
      return { memories, embedded, pending: memories - embedded, otherModels: Object.fromEntries(others.rows.map((r) => [r.model, Number(r.n)])) };
    },
  };
}

/**
 * Embeds in the background what has no vector of the current model (memories, then document
 * sections): what was saved while the provider was down, and everything after the model changed
 * (re-embedding, with its progress logged). It follows the provider at work, whichever it is at
 * each round. Replicas may overlap on a row; the vector is written the same either way.
 */
export function startEmbedWorker(current: () => Promise<EmbeddingsRuntime | undefined>, intervalMs: number, logger: Logger): Worker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });
  let running: Promise<void> = Promise.resolve();
  const prepared = new WeakSet<EmbeddingsRuntime>();
  const embedAll = async (embedder: Embedder, what: string): Promise<void> => {
    let done = 0;
    for (let n = await embedder.embedPending(); n > 0 && !stopped; n = await embedder.embedPending()) {
      done += n;
      const progress = await embedder.progress();
      logger.info({ model: embedder.provider.model, embedded: progress.embedded, pending: progress.pending }, `embedding ${what}`);
    }
    if (done > 0) logger.info({ model: embedder.provider.model, done }, `${what} embedded`);
  };
  const round = async (): Promise<void> => {
    try {
      const runtime = await current();
      if (runtime === undefined) return;
      if (!prepared.has(runtime)) {
        prepared.add(runtime);
        await runtime.prepare();
      }
      await embedAll(runtime.memories.embedder, 'memories');
      await embedAll(runtime.sections.embedder, 'document sections');
    } catch (err) {
      logger.warn({ err }, 'embedding round failed; retried on the next');
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = round().finally(schedule);
    }, intervalMs);
  };
  running = round().finally(schedule);
  return {
    closed,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      resolveClosed();
    },
  };
}
