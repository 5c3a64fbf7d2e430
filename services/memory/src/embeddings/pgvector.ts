import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from '@cadre/logging';
import { MEMORY_VECTORS, SECTION_VECTORS, bySimilarity, type VectorFilter, type VectorHit, type VectorTable } from './index-store';

/** Where pgvector lives in the database: the schema of its type and operators. */
export interface Pgvector {
  readonly schema: string;
  readonly version: string;
}

export type VectorBackendMode = 'auto' | 'pgvector' | 'in-process';

const quoteId = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** A vector as pgvector's text input: `[0.1,0.2,…]`. */
export const vectorLiteral = (vector: Float32Array): string => `[${Array.from(vector).join(',')}]`;

/**
 * Detects pgvector at start: with `auto`, the extension is used when the server has it
 * (created if it is available and this role may create it); with `pgvector`, a server without it
 * fails the start; with `in-process`, it is never used. When used, both vector tables get an
 * `embedding` column of type `vector` beside their `bytea`, filled for the rows written before.
 */
export async function detectPgvector(pool: Pool, schema: string, mode: VectorBackendMode, logger: Logger): Promise<Pgvector | undefined> {
  if (mode === 'in-process') return undefined;
  const installed = async () => (await pool.query<{ schema: string; version: string }>(
    `select n.nspname as schema, e.extversion as version from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'vector'`,
  )).rows[0];
  let found = await installed();
  if (found === undefined) {
    const available = (await pool.query(`select 1 from pg_available_extensions where name = 'vector'`)).rowCount ?? 0;
    if (available > 0) {
      try {
        await pool.query('create extension if not exists vector');
      } catch (err) {
        // Another replica created it meanwhile (a race on the catalog), or this role may not: looked up again below.
        logger.warn({ err }, 'could not create the pgvector extension');
      }
      found = await installed();
    }
  }
  if (found === undefined) {
    if (mode === 'pgvector') throw new Error('MEMORY_VECTOR_BACKEND=pgvector but the Postgres server has no pgvector extension (use an image with it, e.g. pgvector/pgvector:pg17)');
    return undefined;
  }
  const pg: Pgvector = { schema: found.schema, version: found.version };
  const type = `${quoteId(pg.schema)}.vector`;
  for (const table of [MEMORY_VECTORS, SECTION_VECTORS]) {
    await pool.query(`alter table ${quoteId(schema)}.${table.table} add column if not exists embedding ${type}`);
    await backfill(pool, schema, table, type);
  }
  return pg;
}

/** Rows written without pgvector (before it was installed): their `bytea` vector copied into `embedding`. */
async function backfill(pool: Pool, schema: string, table: VectorTable, type: string): Promise<void> {
  const s = quoteId(schema);
  for (;;) {
    const { rows } = await pool.query<{ id: string; vector: Buffer }>(
      `select ${table.id} as id, vector from ${s}.${table.table} where embedding is null and vector is not null limit 500`,
    );
    if (rows.length === 0) return;
    const literals = rows.map((row) => vectorLiteral(new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength))));
    await pool.query(
      `update ${s}.${table.table} t set embedding = u.v::${type} from unnest($1::text[], $2::text[]) as u(id, v) where t.${table.id} = u.id`,
      [rows.map((row) => row.id), literals],
    );
  }
}

/** The SQL of the `k` nearest rows of one model (a statement's part), and what it needs. */
export interface NearestSql {
  /** `select id, similarity from … order by <=> limit`, on parameters numbered after `offset`. */
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * Similarity search in Postgres: cosine distance (`<=>`) between the query and the rows of the
 * current model and length, best first, through an HNSW index per model and length (a partial
 * index on `embedding::vector(n)`, made once the length is known). Filters by owner and vault are
 * applied inside the index scan (iterative scans, pgvector ≥ 0.8), so a small vault among large
 * ones still gets its `k` nearest.
 */
export interface PgvectorTable {
  readonly table: VectorTable;
  nearestSql(query: Float32Array, filter: VectorFilter, k: number, offset: number): NearestSql;
  /** Settings of the transaction a search runs in (iterative scan, candidate list as long as `k`). */
  sessionSettings(k: number): string;
  nearest(query: Float32Array, filter: VectorFilter, k: number, minSimilarity: number): Promise<VectorHit[]>;
  /** Makes the HNSW index of this model and length if there is none (in the background; safe on several replicas). */
  ensureIndex(dims: number): Promise<void>;
}

export function pgvectorTable(pool: Pool, schema: string, pg: Pgvector, model: string, table: VectorTable, logger: Logger): PgvectorTable {
  const s = quoteId(schema);
  const ext = quoteId(pg.schema);
  const ensured = new Map<number, Promise<void>>();
  const iterative = Number(pg.version.split('.')[0]) > 0 || Number(pg.version.split('.')[1]) >= 8;
  const nearestSql = (query: Float32Array, filter: VectorFilter, k: number, offset: number): NearestSql => {
    const dims = query.length;
    const params: unknown[] = [vectorLiteral(query)];
    const conditions = [`v.model = ${quoteLiteral(model)}`, `v.dimensions = ${dims}`, 'v.vector is not null', 'v.embedding is not null'];
    if (filter.owner !== undefined) {
      params.push(filter.owner);
      conditions.push(`v.owner = $${offset + params.length}`);
    }
    if (filter.vaults !== undefined) {
      params.push(filter.vaults);
      conditions.push(`v.${table.vault} = any($${offset + params.length})`);
    }
    const distance = `(v.embedding::${ext}.vector(${dims}) operator(${ext}.<=>) $${offset + 1}::${ext}.vector(${dims}))`;
    return {
      sql: `select v.${table.id} as id, 1 - ${distance} as similarity from ${s}.${table.table} v where ${conditions.join(' and ')} order by ${distance} limit ${Math.floor(k)}`,
      params,
    };
  };
  const sessionSettings = (k: number) =>
    `set local hnsw.ef_search = ${Math.min(1000, Math.max(40, Math.floor(k) * 2))}${iterative ? '; set local hnsw.iterative_scan = relaxed_order' : ''}`;
  return {
    table,
    nearestSql,
    sessionSettings,
    async nearest(query, filter, k, minSimilarity) {
      const { sql, params } = nearestSql(query, filter, k, 0);
      const client = await pool.connect();
      try {
        await client.query(`begin; ${sessionSettings(k)}`);
        const { rows } = await client.query<{ id: string; similarity: number }>(sql, params);
        await client.query('commit');
        return rows.map((row) => ({ id: row.id, similarity: Number(row.similarity) }))
          .filter((hit) => !Number.isNaN(hit.similarity) && hit.similarity >= minSimilarity).sort(bySimilarity);
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    ensureIndex(dims) {
      let done = ensured.get(dims);
      if (done === undefined) {
        const name = `${table.table}_hnsw_${createHash('sha256').update(`${model}\u0000${dims}`).digest('hex').slice(0, 16)}`;
        done = (async () => {
          const exists = await pool.query(`select 1 from pg_indexes where schemaname = $1 and indexname = $2`, [schema, name]);
          if ((exists.rowCount ?? 0) > 0) return;
          const client = await pool.connect();
          try {
            await client.query(`set maintenance_work_mem = '256MB'`);
            await client.query(
              `create index concurrently if not exists ${quoteId(name)} on ${s}.${table.table}
               using hnsw ((embedding::${ext}.vector(${dims})) ${ext}.vector_cosine_ops)
               where model = ${quoteLiteral(model)} and dimensions = ${dims} and vector is not null and embedding is not null`,
            );
            logger.info({ index: name, model, dims }, 'pgvector index made');
          } finally {
            await client.query('reset maintenance_work_mem').catch(() => undefined);
            client.release();
          }
        })().catch((err: unknown) => {
          // Another replica makes it (or made it) at the same time; the next replica start tries again.
          logger.warn({ err, index: name }, 'pgvector index not made here');
        });
        ensured.set(dims, done);
      }
      return done;
    },
  };
}
