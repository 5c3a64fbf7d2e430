import { foldEnvelopes, handleCommand, type CommandOutcome, type NewEventMeta } from '@cadre/eventstore';
import { NotFoundError } from '@cadre/proto';
import { metaOf, requireAccess, type Call } from '@cadre/runtime';
import type { ProjectsContext } from './context';
import { projectDecider, type ProjectCommand, type ProjectResult } from './project/decider';
import { projectStream, type ProjectState } from './project/state';
import { taskDecider, type TaskCommand, type TaskResult } from './task/decider';
import { taskStream, type TaskState } from './task/state';
import { writeProject, writeTask } from './view/write';

export const projectNotFound = (projectId: string) => new NotFoundError(`project '${projectId}' not found`, { project_id: projectId });
export const taskNotFound = (projectId: string, taskId: string) =>
  new NotFoundError(`project '${projectId}' has no task '${taskId}'`, { project_id: projectId, task_id: taskId });

/** A project as its stream is now: the events after the version this replica last folded, onto that state. */
export async function loadProject(ctx: Pick<ProjectsContext, 'store' | 'projects'>, projectId: string): Promise<ProjectState> {
  const known = ctx.projects.get(projectId);
  const from = known?.streamVersion ?? 0;
  const events = await ctx.store.readStream(projectStream(projectId), { fromVersion: from + 1 });
  const state = foldEnvelopes(projectDecider, known?.state ?? projectDecider.initialState, events);
  const last = events.at(-1);
  if (state.exists && last !== undefined) ctx.projects.set(projectId, { state, streamVersion: last.version });
  return state;
}

export async function loadTask(ctx: Pick<ProjectsContext, 'store'>, taskId: string): Promise<TaskState> {
  return foldEnvelopes(taskDecider, taskDecider.initialState, await ctx.store.readStream(taskStream(taskId)));
}

/** A project the caller may see (theirs, or any for an admin); anyone else hears it does not exist. */
export async function requireProject(ctx: Pick<ProjectsContext, 'store' | 'projects'>, projectId: string, call: Call): Promise<ProjectState> {
  const state = await loadProject(ctx, projectId);
  if (!state.exists) throw projectNotFound(projectId);
  requireAccess(call, state.owner, () => projectNotFound(projectId));
  return state;
}

/** A task of a project the caller may see; a task of another project is as missing as one that does not exist. */
export async function requireTask(ctx: Pick<ProjectsContext, 'store'>, project: ProjectState, taskId: string): Promise<TaskState> {
  const state = await loadTask(ctx, taskId);
  if (!state.exists || state.projectId !== project.projectId) throw taskNotFound(project.projectId, taskId);
  return state;
}

/** Counts the tries of a decision past the first: conflicts with another writer, decided again. */
function counting<S, C>(ctx: ProjectsContext, aggregate: string, commandFor: (state: S) => C | Promise<C>): (state: S) => Promise<C> {
  let tries = 0;
  return async (state) => {
    if (++tries > 1) ctx.conflicts.inc({ aggregate });
    return commandFor(state);
  };
}

/**
 * Runs one command on a project through handleCommand (a lost race re-reads and decides again),
 * then writes its read-model rows before the reply, so a query that follows sees them.
 */
export async function executeProject(
  ctx: ProjectsContext, projectId: string, commandFor: (state: ProjectState) => ProjectCommand | Promise<ProjectCommand>, meta: NewEventMeta, owner?: string,
): Promise<CommandOutcome<ProjectState, ProjectResult, ProjectCommand>> {
  return handleCommand(ctx.store, projectDecider, {
    stream: projectStream(projectId),
    subjectScope: projectId,
    meta,
    owner: (state) => state.owner ?? owner,
    commandFor: counting(ctx, 'project', commandFor),
    reactions: [async (outcome) => {
      if (outcome.appended.length > 0) await ctx.db.transaction().execute((trx) => writeProject(trx, ctx.schema, outcome.state));
    }],
  });
}

/** Runs one command on a task (scoped on the stream to its project) and writes its row before the reply. */
export async function executeTask(
  ctx: ProjectsContext, project: Pick<ProjectState, 'projectId' | 'owner'>, taskId: string,
  commandFor: (state: TaskState) => TaskCommand | Promise<TaskCommand>, meta: NewEventMeta,
): Promise<CommandOutcome<TaskState, TaskResult, TaskCommand>> {
  return handleCommand(ctx.store, taskDecider, {
    stream: taskStream(taskId),
    subjectScope: project.projectId,
    meta,
    // A task belongs to its project's owner: the stream shows its events to them (and admins).
    owner: (state) => state.owner ?? project.owner,
    commandFor: counting(ctx, 'task', async (state: TaskState) => {
      const command = await commandFor(state);
      // A task of another project is as missing as one that does not exist.
      if (state.exists ? state.projectId !== project.projectId : command.kind !== 'create') throw taskNotFound(project.projectId, taskId);
      return command;
    }),
    reactions: [async (outcome) => {
      if (outcome.appended.length > 0) await writeTask(ctx.db, ctx.schema, outcome.state);
    }],
  });
}

/** Event meta of a call (correlation id, actor). */
export const metaFor = (call: Call): NewEventMeta => metaOf(call);
