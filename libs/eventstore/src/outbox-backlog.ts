import type { Pool } from 'pg';
import { assertSchemaName } from './connection';
import { toStoreError } from './errors';

/**
 * Events appended to the store but not yet published by its relay: the outbox rows (one per
 * append) counted in events. The outbox stays small while the relay keeps up, so this is cheap
 * enough to read at every metrics scrape; it grows while the bus or the relay is away.
 */
export async function outboxBacklog(store: { readonly pool: Pool; readonly schema: string }): Promise<number> {
  assertSchemaName(store.schema);
  try {
    const { rows } = await store.pool.query<{ events: string }>(
      `SELECT coalesce(sum(cardinality(subjects)), 0)::bigint AS events FROM "${store.schema}".outbox`,
    );
    return Number(rows[0]?.events ?? 0);
  } catch (error) {
    throw toStoreError(error, 'outbox backlog');
  }
}
