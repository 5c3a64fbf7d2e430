import type { ColumnType } from 'kysely';

/** A timestamptz column: read as a Date, written as a Date or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A bigint column: pg reads it as text (it may exceed a JS number), written as a number. */
type BigInt = ColumnType<string, number, number>;

/** The agents service's own tables (besides its event store), as its frozen migrations leave them. */
export interface AgentsDatabase {
  llm_calls: {
    id: string; run_id: string | null; step_id: string | null; agent_id: string | null; user_id: string | null;
    provider: string; model: string; input_tokens: BigInt; output_tokens: BigInt; cost_usd: number; duration_ms: number;
    stop_reason: string | null; created_at: Timestamp;
  };
  /** Provider keys, sealed, by the reference their `provider_settings_updated` event carries. */
  provider_keys: { ref: string; sealed: string };
  /** Values kept once for all replicas (the generated provider-key secret). */
  settings: { name: string; value: string };
}
