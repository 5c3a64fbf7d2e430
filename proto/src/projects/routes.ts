import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/route';
import {
  projectArchive, projectCreate, projectGet, projectList, projectUpdate, projectVision, projectSwarmExecute, taskClaim, taskCreate, taskExecute,
  taskGet, taskImport, taskList, taskRelease, taskResolveWorkflow, taskTransition, taskUpdate, workflowPolicyGet, workflowPolicySet,
} from './projects';
import { ProjectId, TaskId } from './schemas';

// Routes of the projects service (seed 002: "Projects", "Workflow Policies"; the board's
// execution, import and swarm routes of the real system). Path parameters are named like the
// request fields they fill.

const ProjectParam = z.object({ project_id: ProjectId });
const TaskParam = ProjectParam.extend({ task_id: TaskId });
const tags = ['projects'];
const body = <T extends z.ZodObject>(request: T, ...params: Array<'project_id' | 'task_id'>) =>
  request.omit(Object.fromEntries(params.map((p) => [p, true])) as never);

export const projectRoutes: readonly RouteDefinition[] = [
  defineRoute({ method: 'get', path: '/v1/projects', operationId: 'listProjects', summary: 'List projects (?archived=true|false|all, paginated)',
    tags, access: 'user', query: projectList.request, response: projectList.reply, successStatus: 200, message: projectList }),
  defineRoute({ method: 'post', path: '/v1/projects', operationId: 'createProject', summary: 'Create a project',
    tags, access: 'user', body: projectCreate.request, response: projectCreate.reply, successStatus: 201, message: projectCreate }),
  defineRoute({ method: 'get', path: '/v1/projects/{project_id}', operationId: 'getProject', summary: 'Get project details',
    tags, access: 'user', params: ProjectParam, response: projectGet.reply, successStatus: 200, message: projectGet }),
  defineRoute({ method: 'put', path: '/v1/projects/{project_id}', operationId: 'updateProject', summary: 'Update a project (the fields given)',
    tags, access: 'user', params: ProjectParam, body: body(projectUpdate.request, 'project_id'), response: projectUpdate.reply, successStatus: 200, message: projectUpdate }),
  defineRoute({ method: 'put', path: '/v1/projects/{project_id}/vision', operationId: 'setProjectVision', summary: 'Set the project vision (markdown)',
    tags, access: 'user', params: ProjectParam, body: body(projectVision.request, 'project_id'), response: projectVision.reply, successStatus: 200, message: projectVision }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/archive', operationId: 'archiveProject', summary: 'Archive a project (archived: false brings it back)',
    tags, access: 'user', params: ProjectParam, body: body(projectArchive.request, 'project_id'), response: projectArchive.reply, successStatus: 200, message: projectArchive }),
  defineRoute({ method: 'delete', path: '/v1/projects/{project_id}', operationId: 'deleteProject', summary: 'Archive a project (nothing is deleted)',
    tags, access: 'user', params: ProjectParam, response: projectArchive.reply, successStatus: 200, message: projectArchive }),
  defineRoute({ method: 'get', path: '/v1/projects/{project_id}/workflow-policy', operationId: 'getWorkflowPolicy', summary: 'Get the workflow policy',
    tags, access: 'user', params: ProjectParam, response: workflowPolicyGet.reply, successStatus: 200, message: workflowPolicyGet }),
  defineRoute({ method: 'put', path: '/v1/projects/{project_id}/workflow-policy', operationId: 'setWorkflowPolicy', summary: 'Replace the workflow policy',
    tags, access: 'user', params: ProjectParam, body: body(workflowPolicySet.request, 'project_id'), response: workflowPolicySet.reply, successStatus: 200, message: workflowPolicySet }),
  defineRoute({ method: 'get', path: '/v1/projects/{project_id}/tasks', operationId: 'listTasks', summary: 'List tasks (?status, ?assignee, ?label, paginated)',
    tags, access: 'user', params: ProjectParam, query: body(taskList.request, 'project_id'), response: taskList.reply, successStatus: 200, message: taskList }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/tasks', operationId: 'createTask', summary: 'Create a task',
    tags, access: 'user', params: ProjectParam, body: body(taskCreate.request, 'project_id'), response: taskCreate.reply, successStatus: 201, message: taskCreate }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/tasks/import', operationId: 'importTasks', summary: 'Import a planning output as tasks (Idempotency-Key header: once)',
    tags, access: 'user', params: ProjectParam, body: body(taskImport.request, 'project_id'), response: taskImport.reply, successStatus: 201, message: taskImport }),
  defineRoute({ method: 'get', path: '/v1/projects/{project_id}/tasks/{task_id}', operationId: 'getTask', summary: 'Get a task',
    tags, access: 'user', params: TaskParam, response: taskGet.reply, successStatus: 200, message: taskGet }),
  defineRoute({ method: 'put', path: '/v1/projects/{project_id}/tasks/{task_id}', operationId: 'updateTask', summary: 'Update a task (a dependency cycle is refused)',
    tags, access: 'user', params: TaskParam, body: body(taskUpdate.request, 'project_id', 'task_id'), response: taskUpdate.reply, successStatus: 200, message: taskUpdate }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/tasks/{task_id}/claim', operationId: 'claimTask', summary: 'Claim a task (409 naming the holder when held)',
    tags, access: 'user', params: TaskParam, body: body(taskClaim.request, 'project_id', 'task_id'), response: taskClaim.reply, successStatus: 200, message: taskClaim }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/tasks/{task_id}/release', operationId: 'releaseTask', summary: 'Release the claim on a task',
    tags, access: 'user', params: TaskParam, body: body(taskRelease.request, 'project_id', 'task_id'), response: taskRelease.reply, successStatus: 200, message: taskRelease }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/tasks/{task_id}/transition', operationId: 'transitionTask', summary: 'Move a task (409 with the allowed moves)',
    tags, access: 'user', params: TaskParam, body: body(taskTransition.request, 'project_id', 'task_id'), response: taskTransition.reply, successStatus: 200, message: taskTransition }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/tasks/{task_id}/resolve-workflow', operationId: 'resolveTaskWorkflow', summary: 'The pipeline, steps and next states a task would take',
    tags, access: 'user', params: TaskParam, response: taskResolveWorkflow.reply, successStatus: 200, message: taskResolveWorkflow }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/tasks/{task_id}/execute', operationId: 'executeTask', summary: "Start a run of the task's resolved pipeline",
    tags, access: 'user', params: TaskParam, body: body(taskExecute.request, 'project_id', 'task_id'), response: taskExecute.reply, successStatus: 201, message: taskExecute }),
  defineRoute({ method: 'post', path: '/v1/projects/{project_id}/swarm-execute', operationId: 'swarmExecuteProject', summary: 'Launch a swarm of tasks along their dependencies',
    tags, access: 'user', params: ProjectParam, body: body(projectSwarmExecute.request, 'project_id'), response: projectSwarmExecute.reply, successStatus: 202, message: projectSwarmExecute }),
];
