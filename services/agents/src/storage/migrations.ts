import { sql, type Kysely } from 'kysely';
import type { Migrations } from '@cadre/kit';
import type { AgentsDatabase } from './database';

/**
 * The agents service's own tables (besides its event store): the LLM call read model and a
 * key/value table for the generated encryption key. Frozen: a shipped migration never changes.
 * Both are written `if not exists`, so they also run on the data of the releases before
 * migrations were tracked, which created the same tables.
 */
export function agentsMigrations(schema: string): Migrations {
  const s = sql.id(schema);
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return {
    '2025_11_23_0001_agents_tables': {
      async up(db: Kysely<any>) {
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
        await sql`create table if not exists ${s}.settings (name text primary key, value text not null)`.execute(db);
      },
    },
    // The user whose run made the call (personal usage), and calls by agent.
    '2025_12_01_0001_llm_calls_user': {
      async up(db: Kysely<any>) {
        await sql`alter table ${s}.llm_calls add column if not exists user_id text`.execute(db);
        await sql`create index if not exists llm_calls_user_idx on ${s}.llm_calls (user_id, created_at desc)`.execute(db);
        await sql`create index if not exists llm_calls_agent_idx on ${s}.llm_calls (agent_id, created_at desc)`.execute(db);
      },
    },
    // Provider keys leave the events: sealed here, referenced from the event.
    '2026_12_06_0001_provider_keys': {
      async up(db: Kysely<any>) {
        await sql`create table if not exists ${s}.provider_keys (
          ref text primary key, sealed text not null, created_at timestamptz not null default now()
        )`.execute(db);
      },
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/** A value kept once for all replicas: whichever inserts first wins, the others read the winner's. */
export async function settingOnce(db: Kysely<AgentsDatabase>, name: string, create: () => string): Promise<string> {
  await db.insertInto('settings').values({ name, value: create() }).onConflict((c) => c.column('name').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
  if (!row) throw new Error(`setting ${name} vanished`);
  return row.value;
}
