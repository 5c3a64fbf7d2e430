import { handleCommand, readState } from '@cadre/eventstore';
import { DomainError, NotFoundError, REPOSITORY_UNAVAILABLE, knowledgeIndex, knowledgeJob, knowledgeStatus } from '@cadre/proto';
import { endpoint, metaOf, requireAccess, type Call } from '@cadre/runtime';
import type { KnowledgeContext } from '../context';
import { indexDecider, indexStream, type IndexState, type JobView } from '../index/decider';
import { checkGitHost, checkLocalPath, isNetworkUrl, localPathOf, maskCredentials } from '../index/repository';
import { INDEX_QUEUE, type IndexJobMessage } from '../index/worker';
import { graphRow } from '../storage/graph-store';
import { projectFor, projectNotFound } from './access';

async function indexState(ctx: KnowledgeContext, projectId: string): Promise<{ state: IndexState; owner: string | undefined; exists: boolean }> {
  const { state, version } = await readState(ctx.store, indexDecider, indexStream(projectId), ctx.jobs);
  return { state, owner: state.owner, exists: version > 0 };
}

/** Index, job progress and status routes. */
export function indexingEndpoints(ctx: KnowledgeContext) {
  /** The caller may read the project's jobs: checked on the jobs' own owner, else asked of the projects service. */
  async function readable(call: Call, projectId: string): Promise<IndexState> {
    const { state, owner, exists } = await indexState(ctx, projectId);
    if (exists) requireAccess(call, owner, () => projectNotFound(projectId));
    else await projectFor(ctx, call, projectId);
    return state;
  }

  return [
    endpoint(knowledgeIndex, async ({ project_id: projectId, force }, call) => {
      const project = await projectFor(ctx, call, projectId);
      const repository = project.repository;
      if (repository === null || repository === undefined || repository === '') {
        throw new DomainError(REPOSITORY_UNAVAILABLE, `project '${projectId}' names no repository: set one with PUT /v1/projects/${projectId}`);
      }
      const local = localPathOf(repository);
      if (local !== undefined) await checkLocalPath(ctx.config, local);
      else if (!isNetworkUrl(repository)) {
        throw new DomainError(REPOSITORY_UNAVAILABLE, `the repository ${maskCredentials(repository)} is not a git URL this server clones (https, http, ssh, git or user@host:path)`);
      } else checkGitHost(ctx.config, repository);
      const jobId = ctx.newId();
      const outcome = await handleCommand(ctx.store, indexDecider, {
        stream: indexStream(projectId),
        // The job's events name the URL with its credentials masked; the worker reads them from the project.
        command: { kind: 'request', projectId, jobId, force, repository: maskCredentials(repository) },
        meta: metaOf(call),
        owner: () => project.owner ?? undefined,
        subjectScope: projectId,
        snapshots: ctx.jobs,
        reactions: [
          // A joined job is queued again only when it has not reported for an ack wait (its message was
          // lost, say): queueing it while it runs could start a second run of it once the queue's
          // duplicate window (minutes on NATS) has passed.
          async (done) => {
            const active = done.state.active === undefined ? 0 : Date.parse(done.state.active);
            if (done.appended.length === 0 && ctx.clock().getTime() - active < ctx.config.KNOWLEDGE_INDEX_ACK_WAIT_MS) return;
            const message: IndexJobMessage = { project_id: projectId, job_id: done.result!.job_id };
            await ctx.bus.workQueue(INDEX_QUEUE).enqueue(Buffer.from(JSON.stringify(message)), { msgId: message.job_id });
          },
        ],
      });
      return { job_id: outcome.result!.job_id, project_id: projectId, status: outcome.result!.status };
    }),

    endpoint(knowledgeJob, async ({ project_id: projectId, job_id: jobId }, call) => {
      const state = await readable(call, projectId);
      const job: JobView | undefined = state.jobs[jobId];
      if (job === undefined) throw new NotFoundError(`no index job '${jobId}' of project '${projectId}'`);
      return job;
    }),

    endpoint(knowledgeStatus, async ({ project_id: projectId }, call) => {
      const state = await readable(call, projectId);
      const row = await graphRow(ctx.pool, ctx.schema, projectId);
      const last = state.order[state.order.length - 1];
      const job = state.running !== undefined ? state.jobs[state.running] : last !== undefined ? state.jobs[last] : undefined;
      return {
        project_id: projectId, indexed: row !== undefined, indexed_at: row?.indexed_at.toISOString() ?? null,
        counts: row?.counts ?? {}, modularity: row?.modularity ?? null, job: job ?? null,
      };
    }),
  ];
}
