import { sql, type Kysely } from 'kysely';
import type { Migrations } from '@cadre/kit';
import type { VoiceDatabase } from './database';

/** The voice service's tables. Frozen: a shipped migration never changes. */
export function voiceMigrations(schema: string): Migrations {
  const s = sql.id(schema);
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return {
    '2026_12_06_0001_voice_tables': {
      async up(db: Kysely<any>) {
        await sql`create table ${s}.tts_calls (
          id text primary key, kind text not null, ok boolean not null, error text,
          session_id text, agent_id text, user_id text, channel text,
          provider text not null, model text not null, voice_id text, key_masked text,
          input_characters bigint not null, input_bytes bigint not null, output_bytes bigint not null,
          output_format text, attachment_id text, cost_usd double precision not null,
          audio_duration_ms double precision, duration_ms double precision not null,
          started_at timestamptz not null, finished_at timestamptz not null, created_at timestamptz not null
        )`.execute(db);
        await sql`create index tts_calls_created_idx on ${s}.tts_calls (created_at desc, id desc)`.execute(db);
        await sql`create index tts_calls_user_idx on ${s}.tts_calls (user_id, created_at desc)`.execute(db);
        await sql`create index tts_calls_session_idx on ${s}.tts_calls (session_id)`.execute(db);
        await sql`create index tts_calls_agent_idx on ${s}.tts_calls (agent_id)`.execute(db);
        await sql`create table ${s}.provider_keys (provider text primary key, sealed text not null, masked text not null, updated_at timestamptz not null)`.execute(db);
        await sql`create table ${s}.settings (name text primary key, value text not null)`.execute(db);
        await sql`create table ${s}.run_speech (
          run_id text primary key, owner text, agent_id text, step_id text, answer text, outcome text, call_id text, updated_at timestamptz not null default now()
        )`.execute(db);
      },
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/** A value kept once for all replicas: whichever inserts first wins, the others read the winner's. */
export async function settingOnce(db: Kysely<VoiceDatabase>, name: string, create: () => string): Promise<string> {
  await db.insertInto('settings').values({ name, value: create() }).onConflict((c) => c.column('name').doNothing()).execute();
  const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
  if (!row) throw new Error(`setting ${name} vanished`);
  return row.value;
}
