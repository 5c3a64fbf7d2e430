// The shapes the dashboard reads, as the API's contracts (proto/src) define them.

export type RunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface StepView {
  readonly step_id: string;
  readonly status: string;
  readonly agent_id: string | null;
  readonly attempt: number;
  readonly outputs: Record<string, unknown>;
  readonly error: string | null;
  readonly started_at: string | null;
  readonly completed_at: string | null;
}

export interface RunView {
  readonly id: string;
  readonly pipeline_id: string;
  readonly status: RunStatus;
  readonly task_description: string;
  readonly human_context: string | null;
  readonly project_name: string | null;
  readonly swarm_id?: string;
  readonly current_step_id: string | null;
  readonly outputs: Record<string, Record<string, unknown>>;
  readonly error: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly completed_at: string | null;
  readonly steps?: readonly StepView[];
}

export interface PipelineView {
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

export interface SwarmView {
  readonly swarm_id: string;
  readonly agent_id: string;
  readonly status: 'running' | 'completed' | 'failed' | 'cancelled';
  readonly total_tasks: number;
  readonly max_concurrent: number;
  readonly progress: Record<string, number>;
  readonly error: string | null;
  readonly goal: string | null;
  readonly created_at?: string;
}

export interface SwarmTaskView {
  readonly key: string;
  readonly title: string;
  readonly status: string;
  readonly dependencies: readonly string[];
  readonly attempts: number;
  readonly run_id: string | null;
  readonly outputs: Record<string, unknown> | null;
  readonly error: string | null;
  readonly skip_reason: string | null;
  readonly duration_ms: number | null;
}

/** Event types of runs the lists follow. */
export const RUN_EVENT_TYPES = [
  'run_created', 'run_complete', 'run_failed', 'run_cancelled', 'run_restarted',
  'step_queued', 'step_started', 'step_complete', 'step_failed', 'step_retrying', 'step_cancelled',
].join(',');

export const SWARM_EVENT_TYPES = [
  'swarm_created', 'swarm_task_started', 'swarm_task_complete', 'swarm_task_failed', 'swarm_task_retrying',
  'swarm_task_skipped', 'swarm_completed', 'swarm_failed', 'swarm_cancelled', 'swarm_retried',
].join(',');
