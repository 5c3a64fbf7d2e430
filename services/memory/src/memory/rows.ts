import type { Pool, PoolClient } from 'pg';
import type { EventEnvelope } from '@cadre/proto';

/** Runs one statement in the caller's transaction; answers the rows changed. */
export type Execute = (text: string, values: readonly unknown[]) => Promise<number>;

/** The words of a text as the typo correction knows them: lower case, letters and digits, 3 to 40 long. */
export function wordsOf(...texts: readonly string[]): string[] {
  const words = new Set<string>();
  for (const text of texts) {
    for (const word of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (word.length >= 3 && word.length <= 40) words.add(word);
    }
  }
  return [...words];
}

/**
 * Writes what one memory event changes into `memories` (and the word list, and the vector's
 * tombstone on a delete), inside the caller's transaction. A row only takes an event of a higher
 * version than its own, so the same event written twice (by the replica that appended it and by
 * the projection) or out of order changes nothing. False when nothing was written.
 */
export async function writeMemoryEvent(execute: Execute, schema: string, event: EventEnvelope): Promise<boolean> {
  const s = `"${schema}"`;
  const data = event.data as Record<string, unknown>;
  const owner = event.meta.owner ?? null;
  if (event.type === 'memory_deleted') {
    const changed = await execute(
      `insert into ${s}.memories (id, owner, agent_id, shared, title, body, type, tags, links, version, deleted, created_at, updated_at, search)
       values ($1, $2, $3, $4, '', '', 'fact', '{}', '{}', $5, true, $6, $6, ''::tsvector)
       on conflict (id) do update set deleted = true, version = excluded.version, updated_at = excluded.updated_at
       where ${s}.memories.version < excluded.version`,
      [data.memory_id, owner, data.agent_id, data.shared, event.version, event.occurredAt],
    );
    if (changed > 0) {
      await execute(`update ${s}.memory_vectors set vector = null, seq = nextval('${s}.memory_vector_seq') where memory_id = $1`, [data.memory_id]);
    }
    return changed > 0;
  }
  if (event.type !== 'memory_saved' && event.type !== 'memory_updated') return false;
  const title = String(data.title);
  const body = String(data.body);
  const tags = data.tags as string[];
  const changed = await execute(
    `insert into ${s}.memories (id, owner, agent_id, shared, title, body, type, tags, links, version, deleted, created_at, updated_at, search)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11, $11,
       setweight(to_tsvector('english', $5), 'A') || setweight(to_tsvector('english', $12), 'B') || setweight(to_tsvector('english', $6), 'C'))
     on conflict (id) do update set owner = excluded.owner, agent_id = excluded.agent_id, shared = excluded.shared,
       title = excluded.title, body = excluded.body, type = excluded.type, tags = excluded.tags,
       links = excluded.links, version = excluded.version, deleted = false, updated_at = excluded.updated_at, search = excluded.search,
       needs_embedding = true,
       created_at = case when ${s}.memories.deleted then excluded.created_at else ${s}.memories.created_at end
     where ${s}.memories.version < excluded.version`,
    [data.memory_id, owner, data.agent_id, data.shared, title, body, data.type, tags, data.links, event.version, event.occurredAt, tags.join(' ')],
  );
  if (changed > 0) {
    await execute(`insert into ${s}.memory_words (word) select unnest($1::text[]) on conflict do nothing`, [wordsOf(title, body, tags.join(' '))]);
  }
  return changed > 0;
}

/** Runs `work` in a transaction of its own on the pool. */
export async function inTransaction<T>(pool: Pool, work: (execute: Execute, client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(async (text, values) => (await client.query(text, [...values])).rowCount ?? 0, client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
