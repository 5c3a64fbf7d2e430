import type { RequestHandler } from '@cadre/bus';
import {
  DEFAULT_WORKFLOW_POLICY, projectArchive, projectCreate, projectGet, projectList, projectUpdate, projectVision, workflowPolicyGet, workflowPolicySet,
} from '@cadre/proto';
import { endpoint, ownerFilter, requireUser, type Call } from '@cadre/runtime';
import { executeProject, metaFor, requireProject } from '../commands';
import type { ProjectsContext } from '../context';
import type { ProjectCommand } from '../project/decider';
import { presentProject } from '../view/present';
import { listProjects } from '../view/queries';

/** Commands and queries of projects and their workflow policies. */
export function projectHandlers(ctx: ProjectsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  /** A command on a project the caller may act on (another's answers 404, as a missing one). */
  const onProject = async (projectId: string, call: Call, command: ProjectCommand) => {
    await requireProject(ctx, projectId, call);
    return executeProject(ctx, projectId, () => command, metaFor(call));
  };
  const policyReply = (projectId: string, policy: typeof DEFAULT_WORKFLOW_POLICY | undefined) =>
    ({ project_id: projectId, policy: policy ?? DEFAULT_WORKFLOW_POLICY, custom: policy !== undefined });
  return [
    endpoint(projectCreate, async (fields, call) => {
      // A project belongs to a user: the engine credential (no user) creates none.
      const owner = requireUser(call, 'a project belongs to a user: sign in as one');
      const projectId = ctx.newId();
      const { state } = await executeProject(ctx, projectId, () => ({ kind: 'create', projectId, fields }), metaFor(call), owner);
      return presentProject(state);
    }),
    endpoint(projectList, (request, call) => {
      const scope = ownerFilter(call);
      return listProjects(ctx.db, ctx.schema, request, scope.all ? undefined : scope.owner);
    }),
    endpoint(projectGet, async ({ project_id }, call) => presentProject(await requireProject(ctx, project_id, call))),
    endpoint(projectUpdate, async ({ project_id, ...fields }, call) =>
      presentProject((await onProject(project_id, call, { kind: 'update', fields })).state)),
    endpoint(projectVision, async ({ project_id, vision }, call) =>
      presentProject((await onProject(project_id, call, { kind: 'vision', vision })).state)),
    endpoint(projectArchive, async ({ project_id, archived }, call) =>
      presentProject((await onProject(project_id, call, { kind: 'archive', archived })).state)),
    endpoint(workflowPolicyGet, async ({ project_id }, call) => policyReply(project_id, (await requireProject(ctx, project_id, call)).policy)),
    endpoint(workflowPolicySet, async ({ project_id, policy }, call) =>
      policyReply(project_id, (await onProject(project_id, call, { kind: 'set_policy', policy })).state.policy)),
  ];
}

