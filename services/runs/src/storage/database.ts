import type { ColumnType } from 'kysely';
import type { Pipeline } from '@cadre/pipelines';
import type { RunHistoryEntry, RunView, StepView } from '@cadre/proto';
import type { z } from 'zod';

/** A timestamptz column: read as a Date, written as a Date or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A jsonb column: read parsed, written as JSON text. */
type Json<T> = ColumnType<T, string, string>;

/**
 * The runs service's own tables (besides its event store), as its frozen migrations leave them
 * (storage/migrations.ts). Every read-model row carries the run stream version it reflects.
 */
export interface RunsDatabase {
  pipelines: { id: string; definition: Json<Pipeline>; created_at: Timestamp; updated_at: Timestamp };
  run_view: {
    run_id: string; version: number; pipeline_id: string; status: string; created_at: Timestamp; updated_at: Timestamp;
    body: Json<RunView>; owner: string | null;
    /** How its step and history rows were presented (view/sync.ts rowsFormat); null before it was kept. */
    rows_format: string | null;
  };
  step_view: {
    run_id: string; step_id: string; version: number; status: string; attempt: number; deadline: Timestamp | null; body: Json<StepView>;
  };
  run_history: {
    run_id: string; step_id: string; attempt: number; version: number; agent_id: string | null; status: string;
    project_id: string | null; task_id: string | null; queued_at: Timestamp; body: Json<z.infer<typeof RunHistoryEntry>>;
  };
}
