import { sql, type Kysely } from 'kysely';
import type { ProjectionDefinition } from '@cadre/eventstore';
import { NotFoundError, type EventEnvelope, type LlmCallView, type agentRuns, type llmCallList, type llmCallSummary, type usageHistory, type usageSummary } from '@cadre/proto';
import type { z } from 'zod';

type Reply<M extends { reply: z.ZodType }> = z.input<M['reply']>;
type Req<M extends { request: z.ZodType }> = z.infer<M['request']>;

/** Reads of the LLM call log (the `llm_calls` table this projection keeps). */
export interface LlmCallsReader {
  list(request: Req<typeof llmCallList>): Promise<Reply<typeof llmCallList>>;
  get(id: string): Promise<LlmCallView>;
  /** Totals of the calls matching `request`, narrowed to one user's when `user_id` is given. */
  summary(request: Req<typeof llmCallSummary> & { readonly user_id?: string }): Promise<Reply<typeof llmCallSummary>>;
  /** The usage of one user: the model calls of the runs they created. */
  usage(userId: string, days: number, now: Date): Promise<Reply<typeof usageSummary>>;
  history(userId: string, days: number, now: Date): Promise<Reply<typeof usageHistory>>;
  /** The runs an agent worked on (those of `userId` only, when given), newest first. */
  agentRuns(agentId: string, limit: number, userId?: string): Promise<Reply<typeof agentRuns>['runs']>;
}

/**
 * The `llm_calls` table, kept from `llm_call` events: one row per call, keyed by the call's id
 * (so an event applied twice, by a rebuild and again from the bus, leaves one row). A row does
 * not depend on any other event, so the order does not matter: the events come in batches.
 */
export function llmCallsProjection(schema: string): ProjectionDefinition {
  const s = sql.id(schema);
  return {
    name: 'llm_calls',
    events: ['llm_call'],
    orderFree: true,
    apply: async (event, trx) => {
      const r = callRow(event);
      await sql`insert into ${s}.llm_calls (${COLUMNS})
        values (${r.id}, ${r.run_id}, ${r.step_id}, ${r.agent_id}, ${r.user_id}, ${r.provider}, ${r.model}, ${r.input_tokens}, ${r.output_tokens},
          ${r.cost_usd}, ${r.duration_ms}, ${r.stop_reason}, ${r.created_at})
        on conflict (id) do nothing`.execute(trx);
    },
    // A batch in one statement: the rows as one JSON array, each call once.
    applyMany: async (events, trx) => {
      // The first event of a call stands, as `on conflict do nothing` keeps the first row.
      const byId = new Map<string, ReturnType<typeof callRow>>();
      for (const event of events) {
        const row = callRow(event);
        if (!byId.has(row.id)) byId.set(row.id, row);
      }
      const rows = [...byId.values()];
      await sql`insert into ${s}.llm_calls (${COLUMNS})
        select ${COLUMNS} from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(
          id text, run_id text, step_id text, agent_id text, user_id text, provider text, model text, input_tokens bigint, output_tokens bigint,
          cost_usd double precision, duration_ms double precision, stop_reason text, created_at timestamptz)
        on conflict (id) do nothing`.execute(trx);
    },
  };
}

const COLUMNS = sql.raw('id, run_id, step_id, agent_id, user_id, provider, model, input_tokens, output_tokens, cost_usd, duration_ms, stop_reason, created_at');

/** The row of one `llm_call` event. */
function callRow(event: EventEnvelope) {
  const d = event.data as Record<string, unknown> & { id: string; provider: string; model: string; input_tokens: number; output_tokens: number; cost_usd: number; duration_ms: number };
  return {
    id: d.id, run_id: (d.run_id as string | undefined) ?? null, step_id: (d.step_id as string | undefined) ?? null,
    agent_id: (d.agent_id as string | undefined) ?? null, user_id: (d.user_id as string | undefined) ?? null, provider: d.provider, model: d.model,
    input_tokens: d.input_tokens, output_tokens: d.output_tokens, cost_usd: d.cost_usd, duration_ms: d.duration_ms,
    stop_reason: (d.stop_reason as string | undefined) ?? null, created_at: event.occurredAt,
  };
}

interface Row {
  id: string; run_id: string | null; step_id: string | null; agent_id: string | null; user_id: string | null; provider: string; model: string;
  input_tokens: string; output_tokens: string; cost_usd: number; duration_ms: number; stop_reason: string | null; created_at: Date;
}
interface TotalsRow { calls: string; input_tokens: string | null; output_tokens: string | null; cost_usd: number | null }

const toView = (r: Row): LlmCallView => {
  const input = Number(r.input_tokens);
  const output = Number(r.output_tokens);
  return {
    id: r.id, run_id: r.run_id, step_id: r.step_id, agent_id: r.agent_id, user_id: r.user_id, provider: r.provider, model: r.model,
    input_tokens: input, output_tokens: output, total_tokens: input + output, cost_usd: r.cost_usd, duration_ms: r.duration_ms,
    stop_reason: r.stop_reason, created_at: r.created_at.toISOString(),
  };
};
const totals = (r: TotalsRow | undefined) => {
  const input = Number(r?.input_tokens ?? 0);
  const output = Number(r?.output_tokens ?? 0);
  return { calls: Number(r?.calls ?? 0), input_tokens: input, output_tokens: output, total_tokens: input + output, cost_usd: r?.cost_usd ?? 0 };
};
const TOTALS = sql`count(*) as calls, sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(cost_usd) as cost_usd`;

export function createLlmCallsReader(db: Kysely<unknown>, schema: string): LlmCallsReader {
  const table = sql.id(schema, 'llm_calls');
  const where = (f: {
    agent_id?: string | undefined; run_id?: string | undefined; step_id?: string | undefined; provider?: string | undefined;
    user_id?: string | undefined; since?: Date;
  }) => {
    const parts = [sql`true`];
    if (f.user_id !== undefined) parts.push(sql`user_id = ${f.user_id}`);
    if (f.agent_id !== undefined) parts.push(sql`agent_id = ${f.agent_id}`);
    if (f.run_id !== undefined) parts.push(sql`run_id = ${f.run_id}`);
    if (f.step_id !== undefined) parts.push(sql`step_id = ${f.step_id}`);
    if (f.provider !== undefined) parts.push(sql`provider = ${f.provider}`);
    if (f.since !== undefined) parts.push(sql`created_at >= ${f.since}`);
    return sql.join(parts, sql` and `);
  };
  const grouped = async <K extends string>(keys: readonly K[], filter: Parameters<typeof where>[0]) => {
    const cols = sql.join(keys.map((k) => sql.id(k)));
    const { rows } = await sql<TotalsRow & Record<K, string | null>>`select ${cols}, ${TOTALS} from ${table} where ${where(filter)} group by ${cols} order by sum(cost_usd) desc, count(*) desc`.execute(db);
    return rows.map((r) => ({ ...Object.fromEntries(keys.map((k) => [k, r[k]])), ...totals(r) }) as Record<K, string | null> & ReturnType<typeof totals>);
  };
  const since = (days: number, now: Date): Date => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - days + 1));
  return {
    async list(r) {
      // The page and the total from one snapshot: the projection may insert between two reads.
      const { rows, count } = await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => ({
        rows: (await sql<Row>`select * from ${table} where ${where(r)} order by created_at desc, id desc limit ${r.limit} offset ${r.offset}`.execute(trx)).rows,
        count: (await sql<{ n: string }>`select count(*) as n from ${table} where ${where(r)}`.execute(trx)).rows,
      }));
      const total = Number(count[0]?.n ?? 0);
      return { calls: rows.map(toView), total, limit: r.limit, offset: r.offset, next_offset: r.offset + rows.length < total ? r.offset + rows.length : null };
    },
    async get(id) {
      const { rows } = await sql<Row>`select * from ${table} where id = ${id}`.execute(db);
      const row = rows[0];
      if (!row) throw new NotFoundError(`no LLM call "${id}"`, { id });
      return toView(row);
    },
    async summary(r) {
      const { rows } = await sql<TotalsRow>`select ${TOTALS} from ${table} where ${where(r)}`.execute(db);
      return {
        totals: totals(rows[0]),
        by_provider: (await grouped(['provider'], r)).map((g) => ({ ...g, provider: g.provider ?? '' })),
        by_model: (await grouped(['provider', 'model'], r)).map((g) => ({ ...g, provider: g.provider ?? '', model: g.model ?? '' })),
        by_agent: await grouped(['agent_id'], r),
      };
    },
    async usage(userId, days, now) {
      const filter = { user_id: userId, since: since(days, now) };
      const { rows } = await sql<TotalsRow>`select ${TOTALS} from ${table} where ${where(filter)}`.execute(db);
      return {
        user_id: userId, since: filter.since.toISOString(), totals: totals(rows[0]),
        by_provider: (await grouped(['provider'], filter)).map((g) => ({ ...g, provider: g.provider ?? '' })),
        by_model: (await grouped(['provider', 'model'], filter)).map((g) => ({ ...g, provider: g.provider ?? '', model: g.model ?? '' })),
      };
    },
    async history(userId, days, now) {
      const { rows } = await sql<TotalsRow & { day: string }>`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, ${TOTALS}
        from ${table} where ${where({ user_id: userId, since: since(days, now) })} group by day order by day`.execute(db);
      return { user_id: userId, days: rows.map((r) => ({ day: r.day, ...totals(r) })) };
    },
    async agentRuns(agentId, limit, userId) {
      const mine = userId === undefined ? sql`true` : sql`user_id = ${userId}`;
      const { rows } = await sql<TotalsRow & { run_id: string; step_id: string | null; first_at: Date; last_at: Date }>`
        select run_id, step_id, ${TOTALS}, min(created_at) as first_at, max(created_at) as last_at
        from ${table} where agent_id = ${agentId} and run_id is not null and ${mine} group by run_id, step_id order by max(created_at) desc limit ${limit}`.execute(db);
      return rows.map((r) => {
        const t = totals(r);
        return {
          run_id: r.run_id, ...(r.step_id === null ? {} : { step_id: r.step_id }), llm_calls: t.calls, input_tokens: t.input_tokens,
          output_tokens: t.output_tokens, cost_usd: t.cost_usd, first_call_at: r.first_at.toISOString(), last_call_at: r.last_at.toISOString(),
        };
      });
    },
  };
}
