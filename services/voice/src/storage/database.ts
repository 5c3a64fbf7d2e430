import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type BigInt = ColumnType<string, number, number>;

/** The voice service's own tables (besides its event store), as its frozen migrations leave them. */
export interface VoiceDatabase {
  /** The call log (syntheses and transcriptions), kept from `tts_call` and `stt_call` events. */
  tts_calls: {
    id: string; kind: 'tts' | 'stt'; ok: boolean; error: string | null;
    session_id: string | null; agent_id: string | null; user_id: string | null; channel: string | null;
    provider: string; model: string; voice_id: string | null; key_masked: string | null;
    input_characters: BigInt; input_bytes: BigInt; output_bytes: BigInt; output_format: string | null; attachment_id: string | null;
    cost_usd: number; audio_duration_ms: number | null; duration_ms: number; started_at: Timestamp; finished_at: Timestamp; created_at: Timestamp;
  };
  /** Remote providers' API keys, sealed (AES-256-GCM); never in an event. */
  provider_keys: { provider: string; sealed: string; masked: string; updated_at: Timestamp };
  /** Runs that asked for their final answer to be spoken: the last step's answer, then what became of it. */
  run_speech: {
    run_id: string; owner: string | null; agent_id: string | null; step_id: string | null; answer: string | null;
    outcome: string | null; call_id: string | null; updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  };
  /** Values kept once for all replicas (the generated key secret). */
  settings: { name: string; value: string };
}
