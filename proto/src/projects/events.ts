import { z } from 'zod';
import { defineEvent } from '../define-event';
import { ProjectFields, TaskFields, WorkflowPolicy } from './schemas';

// Events of projects and their boards (issue 15; the real system's PROJECT_* and TASK_* events,
// lower-case). Every one carries project_id, and a task's carry task_id; their subject's scope is
// the project, so `?project_id=` on the stream is one subject filter.
const ProjectRef = { project_id: z.string().min(1) };
const TaskRef = { ...ProjectRef, task_id: z.string().min(1) };

export const projectCreated = defineEvent({
  type: 'project_created', domain: 'projects', version: 1, description: 'A project was created',
  data: z.object({ ...ProjectRef, ...ProjectFields.shape, name: z.string() }),
});

export const projectUpdated = defineEvent({
  type: 'project_updated', domain: 'projects', version: 1, description: 'Fields of a project changed (only the fields named)',
  data: z.object({ ...ProjectRef, ...ProjectFields.partial().shape }),
});

export const projectVisionUpdated = defineEvent({
  type: 'project_vision_updated', domain: 'projects', version: 1, description: 'The project vision (markdown) was replaced',
  data: z.object({ ...ProjectRef, vision: z.string() }),
});

export const projectArchived = defineEvent({
  type: 'project_archived', domain: 'projects', version: 1, description: 'A project was archived (or brought back): kept, read-only while archived',
  data: z.object({ ...ProjectRef, archived: z.boolean() }),
});

export const workflowPolicyUpdated = defineEvent({
  type: 'workflow_policy_updated', domain: 'projects', version: 1, description: "The board's workflow policy was replaced; it applies from the next transition",
  data: z.object({ ...ProjectRef, policy: WorkflowPolicy }),
});

export const taskDependencyAdded = defineEvent({
  type: 'task_dependency_added', domain: 'projects', version: 1, description: 'A task now depends on another (it is blocked by it)',
  data: z.object({ ...TaskRef, depends_on: z.string().min(1) }),
});

export const taskDependencyRemoved = defineEvent({
  type: 'task_dependency_removed', domain: 'projects', version: 1, description: 'A task no longer depends on another',
  data: z.object({ ...TaskRef, depends_on: z.string().min(1) }),
});

export const tasksImported = defineEvent({
  type: 'tasks_imported', domain: 'projects', version: 1, description: 'A planning output was imported as tasks (once per idempotency key)',
  data: z.object({
    ...ProjectRef,
    import_id: z.string(),
    request_hash: z.string().describe('SHA-256 of the import request: a retry with another body is refused'),
    task_ids: z.array(z.string()),
    run_id: z.string().optional().describe('The planning run the tasks came from'),
  }),
});

export const taskCreated = defineEvent({
  type: 'task_created', domain: 'projects', version: 1, description: 'A task was added to the board',
  data: z.object({ ...TaskRef, ...TaskFields.shape, key: z.string(), title: z.string(), status: z.string() }),
});

export const taskUpdated = defineEvent({
  type: 'task_updated', domain: 'projects', version: 1, description: 'Fields of a task changed (only the fields named)',
  data: z.object({ ...TaskRef, ...TaskFields.partial().shape }),
});

export const taskClaimed = defineEvent({
  type: 'task_claimed', domain: 'projects', version: 1, description: 'An agent or user claimed a task; nobody else can until it is released or expires',
  data: z.object({ ...TaskRef, holder: z.string(), claimed_at: z.string(), expires_at: z.string().nullable() }),
});

export const taskClaimReleased = defineEvent({
  type: 'task_claim_released', domain: 'projects', version: 1, description: 'A claim ended: released by its holder or the owner, or expired',
  data: z.object({ ...TaskRef, holder: z.string(), reason: z.enum(['released', 'expired']) }),
});

export const taskTransitioned = defineEvent({
  type: 'task_transitioned', domain: 'projects', version: 1, description: 'A task moved between states of the workflow',
  data: z.object({
    ...TaskRef, from: z.string(), to: z.string(),
    cause: z.enum(['manual', 'execution_started', 'run_complete', 'run_failed', 'run_cancelled']),
    run_id: z.string().optional(),
    reason: z.string().optional(),
  }),
});

export const taskExecutionStarted = defineEvent({
  type: 'task_execution_started', domain: 'projects', version: 1, description: "A run of the task's resolved pipeline was started from the board",
  data: z.object({ ...TaskRef, run_id: z.string(), pipeline_id: z.string() }),
});

export const taskExecutionFinished = defineEvent({
  type: 'task_execution_finished', domain: 'projects', version: 1, description: "The task's run ended (the automatic move, if any, follows)",
  data: z.object({ ...TaskRef, run_id: z.string(), outcome: z.enum(['complete', 'failed', 'cancelled']) }),
});

export const projectEvents = [
  projectCreated, projectUpdated, projectVisionUpdated, projectArchived, workflowPolicyUpdated,
  taskDependencyAdded, taskDependencyRemoved, tasksImported,
  taskCreated, taskUpdated, taskClaimed, taskClaimReleased, taskTransitioned, taskExecutionStarted, taskExecutionFinished,
] as const;
