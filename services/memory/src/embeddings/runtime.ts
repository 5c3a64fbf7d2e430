import type { Pool } from 'pg';
import type { Logger } from '@cadre/logging';
import { createEmbedder, type Embedder } from './embedder';
import { MEMORY_VECTORS, SECTION_VECTORS, createVectorIndex, type VectorFilter, type VectorHit, type VectorTable } from './index-store';
import { pgvectorTable, type Pgvector, type PgvectorTable } from './pgvector';
import type { EmbeddingProvider } from './provider';
import { createSectionEmbedder } from './sections';

/** Nearest vectors of the current model, wherever they are searched. */
export interface VectorSearch {
  /** `fresh`: the caller has just refreshed the index (in-process; pgvector is always current). */
  nearest(query: Float32Array, filter: VectorFilter, k: number, minSimilarity: number, fresh?: boolean): Promise<VectorHit[]>;
  /** With pgvector: the table's SQL, for a statement that also does the full-text part. */
  readonly pg?: PgvectorTable;
  /** In-process: brings the index up to date now (a search that follows shares the refresh under way). */
  refresh?(): Promise<void>;
}

/** One embedding provider at work: its embedders and vector searches for memories and document sections. */
export interface EmbeddingsRuntime {
  readonly provider: EmbeddingProvider;
  readonly backend: 'pgvector' | 'in-process';
  readonly memories: { readonly embedder: Embedder; readonly vectors: VectorSearch };
  readonly sections: { readonly embedder: Embedder; readonly vectors: VectorSearch };
  /** With pgvector: makes the HNSW indexes of the vectors of this model already stored (in the background). */
  prepare(): Promise<void>;
}

function vectorSearch(pool: Pool, schema: string, model: string, table: VectorTable, pg: PgvectorTable | undefined): VectorSearch {
  if (pg) return { pg, nearest: (query, filter, k, minSimilarity) => pg.nearest(query, filter, k, minSimilarity) };
  const index = createVectorIndex(pool, schema, model, table);
  return {
    refresh: () => index.refresh(),
    async nearest(query, filter, k, minSimilarity, fresh = false) {
      if (!fresh) await index.refresh();
      return index.search(query, filter, k, minSimilarity);
    },
  };
}

/** The embedders and vector searches of a provider: pgvector when the server has it, else in-process indexes kept current from the tables. */
export function embeddingsRuntime(pool: Pool, schema: string, provider: EmbeddingProvider, pg: Pgvector | undefined, logger: Logger): EmbeddingsRuntime {
  const type = pg ? `"${pg.schema}".vector` : '';
  const memoryTable = pg ? pgvectorTable(pool, schema, pg, provider.model, MEMORY_VECTORS, logger) : undefined;
  const sectionTable = pg ? pgvectorTable(pool, schema, pg, provider.model, SECTION_VECTORS, logger) : undefined;
  return {
    provider,
    backend: pg ? 'pgvector' : 'in-process',
    memories: {
      embedder: createEmbedder(pool, schema, provider, memoryTable ? { type, table: memoryTable } : undefined),
      vectors: vectorSearch(pool, schema, provider.model, MEMORY_VECTORS, memoryTable),
    },
    sections: {
      embedder: createSectionEmbedder(pool, schema, provider, sectionTable ? { type, table: sectionTable } : undefined),
      vectors: vectorSearch(pool, schema, provider.model, SECTION_VECTORS, sectionTable),
    },
    async prepare() {
      for (const table of [memoryTable, sectionTable]) {
        if (table === undefined) continue;
        const { rows } = await pool.query<{ dimensions: number }>(
          `select distinct dimensions from "${schema}".${table.table.table} where model = $1 and embedding is not null`, [provider.model],
        );
        for (const row of rows) void table.ensureIndex(row.dimensions);
      }
    },
  };
}
