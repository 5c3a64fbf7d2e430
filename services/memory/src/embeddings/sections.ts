import type { Pool } from 'pg';
import { embeddingColumn, type Embedder, type EmbedderPgvector } from './embedder';
import { vectorBytes } from './index-store';
import { vectorLiteral } from './pgvector';
import type { EmbeddingProvider } from './provider';

const HASH = `md5(x.heading || E'\\n' || x.content)`;

/**
 * Embeds document sections (heading and text) into `document_vectors`, as the memory embedder
 * does memories: at ingestion, and in the background for what is left (a provider that did not
 * answer, a changed model).
 */
export function createSectionEmbedder(pool: Pool, schema: string, provider: EmbeddingProvider, pg?: EmbedderPgvector): Embedder {
  const s = `"${schema}"`;
  const e = embeddingColumn(pg, 7);
  let switched: Promise<unknown> | undefined;
  const markOtherModels = () => (switched ??= pool.query(
    `update ${s}.document_sections x set needs_embedding = true from ${s}.document_vectors v
     where v.id = x.document_id || '/' || x.id and v.model <> $1 and not x.needs_embedding`, [provider.model],
  ));
  async function embedRows(rows: ReadonlyArray<{ document_id: string; id: string; owner: string | null; heading: string; content: string; hash: string }>): Promise<number> {
    if (rows.length === 0) return 0;
    const vectors = await provider.embed(rows.map((row) => `${row.heading}\n\n${row.content}`.slice(0, 8_000)));
    for (const [i, row] of rows.entries()) {
      const vector = vectors[i]!;
      const written = await pool.query(
        `insert into ${s}.document_vectors (id, document_id, owner, model, dimensions, vector, content_hash, seq${e.column})
         select x.document_id || '/' || x.id, x.document_id, d.owner, $3, $4, $5, $6, nextval('${s}.memory_vector_seq')${e.value}
         from ${s}.document_sections x join ${s}.documents d on d.id = x.document_id
         where x.document_id = $1 and x.id = $2 and ${HASH} = $6
         on conflict (id) do update set model = excluded.model, dimensions = excluded.dimensions, vector = excluded.vector,
           content_hash = excluded.content_hash, seq = excluded.seq${e.update}`,
        [row.document_id, row.id, provider.model, vector.length, vectorBytes(vector), row.hash, ...(pg ? [vectorLiteral(vector)] : [])],
      );
      void pg?.table.ensureIndex(vector.length);
      if ((written.rowCount ?? 0) > 0) {
        await pool.query(`update ${s}.document_sections x set needs_embedding = false where x.document_id = $1 and x.id = $2 and ${HASH} = $3`, [row.document_id, row.id, row.hash]);
      }
    }
    return rows.length;
  }
  const select = `select x.document_id, x.id, d.owner, x.heading, x.content, ${HASH} as hash
    from ${s}.document_sections x join ${s}.documents d on d.id = x.document_id`;
  return {
    provider,
    async embedNow(documentIds) {
      const { rows } = await pool.query(`${select} where x.needs_embedding and x.document_id = any($1) order by x.document_id, x.ordinal`, [documentIds]);
      return embedRows(rows);
    },
    async embedPending(limit = 256) {
      await markOtherModels();
      const { rows } = await pool.query(`${select} where x.needs_embedding limit $1`, [limit]);
      return embedRows(rows);
    },
    async progress() {
      await markOtherModels();
      const { rows } = await pool.query<{ total: string; embedded: string }>(
        `select count(*) as total, count(*) filter (where not needs_embedding) as embedded from ${s}.document_sections`,
      );
      const total = Number(rows[0]!.total);
      const embedded = Number(rows[0]!.embedded);
      return { memories: total, embedded, pending: total - embedded, otherModels: {} };
    },
  };
}
