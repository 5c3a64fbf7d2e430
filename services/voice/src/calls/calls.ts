import { sql, type Kysely, type Transaction } from 'kysely';
import type { ProjectionDefinition } from '@cadre/eventstore';
import type { TtsCallView, ttsCallList } from '@cadre/proto';
import type { z } from 'zod';

type CallData = Record<string, unknown> & {
  id: string; ok: boolean; provider: string; model: string; input_bytes: number; cost_usd: number; duration_ms: number; started_at: string; finished_at: string;
};

/** Writes one call's row (from its event); a second write of the same call changes nothing. */
export async function writeCallRow(db: Kysely<unknown> | Transaction<unknown>, schema: string, kind: 'tts' | 'stt', d: CallData, createdAt: string): Promise<void> {
  const s = sql.id(schema);
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  await sql`insert into ${s}.tts_calls (id, kind, ok, error, session_id, agent_id, user_id, channel, provider, model, voice_id, key_masked,
      input_characters, input_bytes, output_bytes, output_format, attachment_id, cost_usd, audio_duration_ms, duration_ms, started_at, finished_at, created_at)
    values (${d.id}, ${kind}, ${d.ok}, ${str(d.error)}, ${str(d.session_id)}, ${str(d.agent_id)}, ${str(d.user_id)}, ${str(d.channel)}, ${d.provider}, ${d.model},
      ${str(d.voice_id)}, ${str(d.key_masked)}, ${num(d.input_characters) ?? num(d.output_characters) ?? 0}, ${d.input_bytes}, ${num(d.output_bytes) ?? 0},
      ${str(d.output_format)}, ${str(d.attachment_id)}, ${d.cost_usd}, ${num(d.audio_duration_ms)}, ${d.duration_ms}, ${d.started_at}, ${d.finished_at}, ${createdAt})
    on conflict (id) do nothing`.execute(db);
}

/** The `tts_calls` table from `tts_call` and `stt_call` events: one row per call, keyed by its id (order-free). */
export function callsProjection(schema: string): ProjectionDefinition {
  return {
    name: 'tts_calls',
    events: ['tts_call', 'stt_call'],
    orderFree: true,
    apply: async (event, trx) => writeCallRow(trx, schema, event.type === 'stt_call' ? 'stt' : 'tts', event.data as CallData, event.occurredAt),
  };
}

interface Row {
  id: string; kind: 'tts' | 'stt'; ok: boolean; error: string | null; session_id: string | null; agent_id: string | null; user_id: string | null; channel: string | null;
  provider: string; model: string; voice_id: string | null; key_masked: string | null; input_characters: string; input_bytes: string; output_bytes: string;
  output_format: string | null; attachment_id: string | null; cost_usd: number; audio_duration_ms: number | null; duration_ms: number;
  started_at: Date; finished_at: Date; created_at: Date;
}

const toView = (r: Row): TtsCallView => ({
  ...r, input_characters: Number(r.input_characters), input_bytes: Number(r.input_bytes), output_bytes: Number(r.output_bytes),
  started_at: r.started_at.toISOString(), finished_at: r.finished_at.toISOString(), created_at: r.created_at.toISOString(),
});

export type CallFilter = Omit<z.infer<typeof ttsCallList.request>, 'limit' | 'offset'>;

/** A page of calls, newest first, and the summary of every call matching. */
export async function listCalls(db: Kysely<unknown>, schema: string, filter: CallFilter, limit: number, offset: number): Promise<z.input<typeof ttsCallList.reply>> {
  const table = sql.id(schema, 'tts_calls');
  const parts = [sql`true`];
  if (filter.user_id !== undefined) parts.push(sql`user_id = ${filter.user_id}`);
  if (filter.session_id !== undefined) parts.push(sql`session_id = ${filter.session_id}`);
  if (filter.agent_id !== undefined) parts.push(sql`agent_id = ${filter.agent_id}`);
  if (filter.provider !== undefined) parts.push(sql`provider = ${filter.provider}`);
  if (filter.kind !== undefined) parts.push(sql`kind = ${filter.kind}`);
  const where = sql.join(parts, sql` and `);
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const { rows } = await sql<Row>`select * from ${table} where ${where} order by created_at desc, id desc limit ${limit} offset ${offset}`.execute(trx);
    const { rows: sums } = await sql<{ n: string; failed: string; ib: string | null; ic: string | null; ob: string | null; cost: number | null; dur: number | null; audio: number | null }>`
      select count(*) as n, count(*) filter (where not ok) as failed, sum(input_bytes) as ib, sum(input_characters) as ic, sum(output_bytes) as ob,
        sum(cost_usd) as cost, avg(duration_ms) as dur, avg(audio_duration_ms) as audio
      from ${table} where ${where}`.execute(trx);
    const s = sums[0];
    const total = Number(s?.n ?? 0);
    return {
      calls: rows.map(toView), total, limit, offset, has_more: offset + rows.length < total,
      summary: {
        call_count: total, failed_count: Number(s?.failed ?? 0), total_input_bytes: Number(s?.ib ?? 0), total_input_chars: Number(s?.ic ?? 0),
        total_output_bytes: Number(s?.ob ?? 0), total_cost_usd: s?.cost ?? 0, avg_duration_ms: s?.dur ?? 0, avg_audio_duration_ms: s?.audio ?? 0,
      },
    };
  });
}
