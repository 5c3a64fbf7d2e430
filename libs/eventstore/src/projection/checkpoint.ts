import { sql, type Kysely } from 'kysely';

/**
 * Locks the projection's checkpoint row for the rest of the transaction (creating it at 0)
 * and returns its position. The row lock serialises replicas handling the same projection.
 */
export async function lockCheckpoint<DB>(trx: Kysely<DB>, schema: string, name: string): Promise<number> {
  const table = sql.table(`${schema}.projection_checkpoints`);
  const { rows } = await sql<{ position: string }>`
    INSERT INTO ${table} (name, position) VALUES (${name}, 0)
    ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
    RETURNING position::text AS position`.execute(trx);
  return Number(rows[0]?.position ?? 0);
}

/**
 * Raises the checkpoint to `position` unless it is higher already, and locks its row for the rest
 * of the transaction (an order-free projection's batch: the lock and the save in one statement).
 */
export async function raiseCheckpoint<DB>(trx: Kysely<DB>, schema: string, name: string, position: number): Promise<void> {
  const table = sql.table(`${schema}.projection_checkpoints`);
  await sql`
    INSERT INTO ${table} (name, position, updated_at) VALUES (${name}, ${position}, now())
    ON CONFLICT (name) DO UPDATE SET position = GREATEST(${table}.position, EXCLUDED.position), updated_at = EXCLUDED.updated_at`.execute(trx);
}

export async function saveCheckpoint<DB>(trx: Kysely<DB>, schema: string, name: string, position: number): Promise<void> {
  const table = sql.table(`${schema}.projection_checkpoints`);
  await sql`
    INSERT INTO ${table} (name, position, updated_at) VALUES (${name}, ${position}, now())
    ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at`.execute(trx);
}

/** The stored position; undefined when the projection has never stored one (a new projection). */
export async function findCheckpoint<DB>(db: Kysely<DB>, schema: string, name: string): Promise<number | undefined> {
  const table = sql.table(`${schema}.projection_checkpoints`);
  const { rows } = await sql<{ position: string }>`SELECT position::text AS position FROM ${table} WHERE name = ${name}`.execute(db);
  return rows[0] === undefined ? undefined : Number(rows[0].position);
}

export async function readCheckpoint<DB>(db: Kysely<DB>, schema: string, name: string): Promise<number> {
  return (await findCheckpoint(db, schema, name)) ?? 0;
}
