import type { Job } from '@cadre/bus';
import { handleCommand, readState } from '@cadre/eventstore';
import type { Worker } from '@cadre/kit';
import { CadreError } from '@cadre/proto';
import type { KnowledgeContext } from '../context';
import { storeGraph } from '../storage/graph-store';
import { indexDecider, indexStream, type IndexCommand, type IndexState } from './decider';
import { indexRepository } from './pipeline';
import { materialize } from './repository';

/** The work queue of index jobs, shared by the replicas. */
export const INDEX_QUEUE = 'knowledge-index';

export interface IndexJobMessage { readonly project_id: string; readonly job_id: string }

async function decide(ctx: KnowledgeContext, command: IndexCommand, owner: string | undefined): Promise<IndexState> {
  return (await handleCommand(ctx.store, indexDecider, {
    stream: indexStream(command.projectId), command, subjectScope: command.projectId,
    meta: { actor: 'service:knowledge', ...(owner !== undefined ? { owner } : {}) },
    snapshots: ctx.jobs,
  })).state;
}

/**
 * Runs one index job: nothing when it is no longer the project's running job (done already, a
 * redelivery after completion); else the index, the graph stored, and `code_graph_index_complete`.
 * An error that a retry cannot help (a repository that is not there), or the last attempt's
 * error, fails the job for good (`code_graph_index_failed`; the earlier graph stays); others are
 * thrown, and the queue delivers the job again.
 */
export async function runIndexJob(ctx: KnowledgeContext, message: IndexJobMessage, attempt: number, maxAttempts: number, heartbeat: () => Promise<void>): Promise<void> {
  const { project_id: projectId, job_id: jobId } = message;
  const { state } = await readState(ctx.store, indexDecider, indexStream(projectId), ctx.jobs);
  if (state.running !== jobId || state.request?.job_id !== jobId) return;
  const { force, repository, owner } = state.request;
  const begun = Date.now();
  // Milliseconds spent in each phase, logged with the outcome (where an index's time goes).
  const took: Record<string, number> = {};
  let phaseBegun = performance.now();
  let current = 'materialize';
  const enter = (phase: string): void => {
    const now = performance.now();
    took[current] = Math.round((took[current] ?? 0) + now - phaseBegun);
    current = phase;
    phaseBegun = now;
  };
  try {
    const root = await materialize(ctx.config, projectId, repository, ctx.repositoryOf);
    enter('previous');
    const stored = await ctx.graphs.current(ctx.pool, ctx.schema, projectId);
    const previous = force ? new Map() : stored.files;
    const result = await indexRepository(
      { root, maxFileBytes: ctx.config.KNOWLEDGE_MAX_FILE_BYTES, maxFiles: ctx.config.KNOWLEDGE_MAX_FILES, previous, ...(force || stored.partition === undefined ? {} : { partition: stored.partition }) },
      async (phase, counts) => {
        enter(phase);
        await heartbeat();
        await decide(ctx, { kind: 'progress', projectId, jobId, phase, counts, attempt, worker: ctx.instance }, owner);
      },
      heartbeat,
    );
    enter('storing');
    const now = await decide(ctx, { kind: 'progress', projectId, jobId, phase: 'storing', counts: result.counts, attempt, worker: ctx.instance }, owner);
    // Ended meanwhile (another replica ran the same job to its end): its graph stands, not this one.
    if (now.running !== jobId) {
      ctx.logger.info({ projectId, jobId, attempt }, 'index job ended elsewhere; this run stores nothing');
      return;
    }
    const { written, state } = await storeGraph(ctx.pool, ctx.schema, {
      projectId, owner: owner ?? null, repository, root, jobId, indexedAt: ctx.clock(), counts: result.counts as Record<string, number>,
      modularity: result.modularity, nodes: result.nodes, edges: result.edges, parsed: result.parsed, present: result.present,
    }, stored);
    ctx.graphs.remember(projectId, { ...state, partition: result.partition });
    enter('complete');
    ctx.logger.info({ projectId, jobId, attempt, counts: result.counts, phaseMs: took, written, communities: result.incremental ? 'moved around the change' : 'louvain' }, 'index job complete');
    await decide(ctx, {
      kind: 'complete', projectId, jobId, counts: result.counts, modularity: result.modularity, durationMs: Date.now() - begun, errors: result.errors.slice(0, 100),
    }, owner);
  } catch (error) {
    // A store that failed leaves this replica's memory of the stored graph in doubt.
    ctx.graphs.forget(projectId);
    const final = (error instanceof CadreError && !error.retryable) || attempt >= maxAttempts;
    ctx.logger.warn({ err: error, projectId, jobId, attempt, final }, final ? 'index job failed' : 'index job failed; it will be tried again');
    if (!final) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    await decide(ctx, { kind: 'fail', projectId, jobId, error: reason.slice(0, 1_000) }, owner);
  }
}

export function startIndexWorker(ctx: KnowledgeContext): Promise<Worker> {
  const maxAttempts = ctx.config.KNOWLEDGE_INDEX_ATTEMPTS;
  return ctx.bus.workQueue(INDEX_QUEUE).process(async (job: Job) => {
    const message = job.json<Partial<IndexJobMessage>>();
    if (typeof message.project_id !== 'string' || typeof message.job_id !== 'string') {
      await job.term('malformed index job');
      return;
    }
    await runIndexJob(ctx, { project_id: message.project_id, job_id: message.job_id }, job.attempt, maxAttempts, () => job.working());
  }, { ackWaitMs: ctx.config.KNOWLEDGE_INDEX_ACK_WAIT_MS, maxAttempts: maxAttempts + 1, concurrency: 1 });
}
