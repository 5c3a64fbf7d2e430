import type { Decider } from '@cadre/eventstore';
import type { EventEnvelope } from '@cadre/proto';
import type { z } from 'zod';
import type { IndexCounts, IndexJobView, IndexPhase } from '@cadre/proto';

type Counts = z.infer<typeof IndexCounts>;
type Phase = z.infer<typeof IndexPhase>;
export type JobView = z.infer<typeof IndexJobView>;

/** The index jobs of one project: at most one running, the last few kept for their progress routes. */
export interface IndexState {
  readonly running?: string;
  /** What the running job was asked: the repository named then and whether to parse everything. */
  readonly request?: { readonly job_id: string; readonly force: boolean; readonly repository: string; readonly owner?: string };
  /** When the running job last reported (its start or its last progress). */
  readonly active?: string;
  /** Who owns the project's jobs (the first request's owner). */
  readonly owner?: string;
  readonly jobs: Readonly<Record<string, JobView>>;
  /** Job ids, oldest first. */
  readonly order: readonly string[];
}

export type IndexCommand =
  | { readonly kind: 'request'; readonly projectId: string; readonly jobId: string; readonly force: boolean; readonly repository: string }
  | { readonly kind: 'progress'; readonly projectId: string; readonly jobId: string; readonly phase: Phase; readonly counts: Counts; readonly attempt: number; readonly worker?: string }
  | { readonly kind: 'complete'; readonly projectId: string; readonly jobId: string; readonly counts: Counts; readonly modularity: number; readonly durationMs: number; readonly errors: readonly string[] }
  | { readonly kind: 'fail'; readonly projectId: string; readonly jobId: string; readonly error: string };

export type IndexEvent =
  | { readonly type: 'code_graph_index_started'; readonly data: { project_id: string; job_id: string; force: boolean; repository: string }; readonly occurredAt?: string; readonly owner?: string }
  | { readonly type: 'code_graph_index_progress'; readonly data: { project_id: string; job_id: string; phase: Phase; counts: Counts; attempt?: number; worker?: string }; readonly occurredAt?: string }
  | { readonly type: 'code_graph_index_complete'; readonly data: { project_id: string; job_id: string; counts: Counts; modularity: number; duration_ms: number; errors: string[] }; readonly occurredAt?: string }
  | { readonly type: 'code_graph_index_failed'; readonly data: { project_id: string; job_id: string; error: string }; readonly occurredAt?: string };

/** What a request answered: the job started, or the one already running (joined). */
export interface IndexRequestResult { readonly job_id: string; readonly status: 'started' | 'running' }

export const indexStream = (projectId: string): string => `code-graph-${projectId}`;

/** Jobs kept in the state (older ones drop out of the progress route). */
export const KEPT_JOBS = 20;

const TYPES = new Set(['code_graph_index_started', 'code_graph_index_progress', 'code_graph_index_complete', 'code_graph_index_failed']);

function withJob(state: IndexState, job: JobView): IndexState {
  const order = state.order.includes(job.job_id) ? state.order : [...state.order, job.job_id];
  const dropped = order.slice(0, Math.max(0, order.length - KEPT_JOBS));
  const jobs = { ...state.jobs, [job.job_id]: job };
  for (const id of dropped) delete jobs[id];
  return { ...state, jobs, order: order.slice(dropped.length) };
}

/**
 * The index jobs of a project. A request while a job runs joins it (no event); progress, completion
 * and failure count only for the running job, so a redelivered or late worker changes nothing once
 * the job has ended.
 */
export const indexDecider: Decider<IndexCommand, IndexState, IndexEvent, IndexRequestResult | undefined> = {
  initialState: { jobs: {}, order: [] },
  decide(command, state) {
    const ref = { project_id: command.projectId, job_id: command.jobId };
    if (command.kind === 'request') {
      if (state.running !== undefined) return { events: [], result: { job_id: state.running, status: 'running' } };
      return {
        events: [{ type: 'code_graph_index_started', data: { ...ref, force: command.force, repository: command.repository } }],
        result: { job_id: command.jobId, status: 'started' },
      };
    }
    if (state.running !== command.jobId) return { events: [], result: undefined };
    switch (command.kind) {
      case 'progress': return {
        events: [{ type: 'code_graph_index_progress', data: { ...ref, phase: command.phase, counts: command.counts, attempt: command.attempt, ...(command.worker !== undefined ? { worker: command.worker } : {}) } }],
        result: undefined,
      };
      case 'complete': return {
        events: [{ type: 'code_graph_index_complete', data: { ...ref, counts: command.counts, modularity: command.modularity, duration_ms: command.durationMs, errors: [...command.errors] } }],
        result: undefined,
      };
      case 'fail': return { events: [{ type: 'code_graph_index_failed', data: { ...ref, error: command.error } }], result: undefined };
    }
  },
  evolve(state, event) {
    const at = event.occurredAt ?? new Date(0).toISOString();
    const job = state.jobs[event.data.job_id];
    switch (event.type) {
      case 'code_graph_index_started':
        return {
          ...withJob(state, {
            job_id: event.data.job_id, project_id: event.data.project_id, status: 'queued', phase: 'queued', force: event.data.force,
            counts: {}, errors: [], started_at: at, finished_at: null, worker: null,
          }),
          running: event.data.job_id,
          active: at,
          request: { job_id: event.data.job_id, force: event.data.force, repository: event.data.repository, ...(event.owner !== undefined ? { owner: event.owner } : {}) },
          ...(state.owner === undefined && event.owner !== undefined ? { owner: event.owner } : {}),
        };
      case 'code_graph_index_progress':
        return job ? { ...withJob(state, { ...job, status: 'running', phase: event.data.phase, counts: { ...job.counts, ...event.data.counts }, worker: event.data.worker ?? job.worker }), active: at } : state;
      case 'code_graph_index_complete': {
        const next = job ? withJob(state, { ...job, status: 'complete', phase: 'complete', counts: { ...job.counts, ...event.data.counts }, errors: event.data.errors, finished_at: at }) : state;
        return { jobs: next.jobs, order: next.order, ...(state.owner !== undefined ? { owner: state.owner } : {}) };
      }
      case 'code_graph_index_failed': {
        const next = job ? withJob(state, { ...job, status: 'failed', phase: 'failed', errors: [...job.errors, event.data.error], finished_at: at }) : state;
        return { jobs: next.jobs, order: next.order, ...(state.owner !== undefined ? { owner: state.owner } : {}) };
      }
    }
  },
  fromEnvelope(envelope: EventEnvelope) {
    if (!TYPES.has(envelope.type)) return undefined;
    return { type: envelope.type, data: envelope.data, occurredAt: envelope.occurredAt, ...(envelope.meta.owner !== undefined ? { owner: envelope.meta.owner } : {}) } as IndexEvent;
  },
};
