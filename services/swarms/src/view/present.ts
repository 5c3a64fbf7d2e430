import { SwarmTaskStatus, type SwarmListItem, type SwarmTaskView, type SwarmView } from '@cadre/proto';
import { shownStatus, summarize, tasksOf, type SwarmState } from '../swarm/state';

/** Task counts by the state each task shows. */
function progressOf(state: SwarmState): SwarmView['progress'] {
  const progress = Object.fromEntries(SwarmTaskStatus.options.map((s) => [s, 0])) as Record<SwarmTaskStatus, number>;
  for (const task of tasksOf(state)) progress[shownStatus(state, task)]++;
  return progress;
}

/** A swarm in a list (no per-task results). */
export function presentListItem(state: SwarmState): SwarmListItem {
  return {
    swarm_id: state.swarmId, agent_id: state.agentId, status: state.status, total_tasks: state.tasks.length,
    max_concurrent: state.maxConcurrent, root_tasks: [...state.rootTasks], max_depth: state.maxDepth, progress: progressOf(state),
    error: state.error ?? null, goal: state.goal ?? null, deadline: state.deadline, created_at: state.createdAt, updated_at: state.updatedAt,
    completed_at: state.finishedAt ?? null,
  };
}

/** A swarm as `GET /v1/swarm/{id}` shows it: state, progress, summary (durations up to `now` while it runs). */
export function presentSwarm(state: SwarmState, now: Date): SwarmView {
  return { ...presentListItem(state), summary: summarize(state, now.toISOString()) };
}

/** The tasks of a swarm, in launch order. */
export function presentTasks(state: SwarmState): SwarmTaskView[] {
  return tasksOf(state).map((t) => ({
    key: t.spec.key, title: t.spec.title, status: shownStatus(state, t), dependencies: [...t.spec.dependencies],
    always_run: t.spec.always_run === true, attempts: t.attempts, max_retries: t.spec.max_retries ?? 2,
    run_id: t.runIds.at(-1) ?? null, run_ids: [...t.runIds], outputs: t.outputs === undefined ? null : { ...t.outputs },
    error: t.error ?? null, skip_reason: t.skipReason ?? null, retry_at: t.retryAt ?? null, started_at: t.startedAt ?? null,
    completed_at: t.finishedAt ?? null, duration_ms: t.durationMs ?? null,
  }));
}
