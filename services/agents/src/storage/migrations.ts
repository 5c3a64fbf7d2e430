import { sql, type Kysely } from 'kysely';

/**
 * The agents service's own tables (besides its event store): the LLM call read model and a
 * key/value table for the generated encryption key. Idempotent (`if not exists`), and in one
 * transaction under an advisory lock: `create … if not exists` is not safe against itself, so
 * two replicas starting together on a fresh database would otherwise race, and the loser crash
 * on a duplicate key in pg_type.
 */
export async function migrateAgentsTables(db: Kysely<unknown>, schema: string): Promise<void> {
  const lock = `${schema}.agents-tables`;
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${lock}))`.execute(trx);
    await createAgentsTables(trx, schema);
  });
}

async function createAgentsTables(db: Kysely<unknown>, schema: string): Promise<void> {
  const s = sql.id(schema);
  await sql`create table if not exists ${s}.llm_calls (
    id text primary key,
    run_id text, step_id text, agent_id text,
    provider text not null, model text not null,
    input_tokens bigint not null, output_tokens bigint not null,
    cost_usd double precision not null, duration_ms double precision not null,
    stop_reason text, created_at timestamptz not null
  )`.execute(db);
  await sql`create index if not exists llm_calls_created_idx on ${s}.llm_calls (created_at desc, id desc)`.execute(db);
  await sql`create index if not exists llm_calls_run_idx on ${s}.llm_calls (run_id)`.execute(db);
  // Added after the first release: the user whose run made the call (personal usage).
  await sql`alter table ${s}.llm_calls add column if not exists user_id text`.execute(db);
  await sql`create index if not exists llm_calls_user_idx on ${s}.llm_calls (user_id, created_at desc)`.execute(db);
  await sql`create index if not exists llm_calls_agent_idx on ${s}.llm_calls (agent_id, created_at desc)`.execute(db);
  await sql`create table if not exists ${s}.settings (name text primary key, value text not null)`.execute(db);
}

/** A value kept once for all replicas: whichever inserts first wins, the others read the winner's. */
export async function settingOnce(db: Kysely<unknown>, schema: string, name: string, create: () => string): Promise<string> {
  const s = sql.id(schema);
  await sql`insert into ${s}.settings (name, value) values (${name}, ${create()}) on conflict (name) do nothing`.execute(db);
  const { rows } = await sql<{ value: string }>`select value from ${s}.settings where name = ${name}`.execute(db);
  const row = rows[0];
  if (!row) throw new Error(`setting ${name} vanished`);
  return row.value;
}
