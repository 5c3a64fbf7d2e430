import { agentsService } from '@cadre/agents';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { projectsService } from '@cadre/projects';
import type { ProjectView, TaskView, WorkflowPolicy } from '@cadre/proto';
import { runsService } from '@cadre/runs';
import { swarmsService } from '@cadre/swarms';
import { eventually } from '@cadre/testing';
import { workerFlow } from '../fixtures/pipelines';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { openStream } from '../support/sse';
import { startSystem, type System } from '../support/system';

interface ErrorBody { error: string; code: string; details?: unknown }
type Tasks = { tasks: TaskView[]; total: number; next_cursor: string | null };

describe('projects and their boards through the HTTP API', () => {
  let system: System;
  let token: string;
  let member: string;
  const api = <T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>, as = token) =>
    call<T>(system.baseUrl, method, path, { token: as, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  const newProject = async (fields: Record<string, unknown> = {}) => {
    const reply = await api<ProjectView>('POST', '/v1/projects', { name: 'Board', ...fields });
    expect(reply.status).toBe(201);
    return reply.body;
  };
  const newTask = async (projectId: string, fields: Record<string, unknown> = {}) => {
    const reply = await api<TaskView>('POST', `/v1/projects/${projectId}/tasks`, { title: 'A task', ...fields });
    expect(reply.status).toBe(201);
    return reply.body;
  };

  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', registry: checkRegistry([identityService, runsService, agentsService, projectsService]) });
    token = (await setupAdmin(system.baseUrl)).access_token;
    member = (await createMember(system.baseUrl, token)).tokens.access_token;
  });
  afterAll(() => system?.stop());

  it('creates, lists, updates and archives projects, each its owner\'s', async () => {
    const project = await newProject({ name: 'Cadre', repository: 'https://github.com/example/cadre.git', default_pipeline: 'demo' });
    expect(project).toMatchObject({ name: 'Cadre', repository: 'https://github.com/example/cadre.git', default_branch: 'main', archived: false, vision: '' });
    const updated = await api<ProjectView>('PUT', `/v1/projects/${project.id}`, { description: 'The control plane', repository: '/srv/git/cadre' });
    expect(updated.body).toMatchObject({ name: 'Cadre', description: 'The control plane', repository: '/srv/git/cadre' });
    expect((await api<ProjectView>('PUT', `/v1/projects/${project.id}/vision`, { vision: '# Ship it' })).body.vision).toBe('# Ship it');
    expect((await api<{ projects: ProjectView[] }>('GET', '/v1/projects')).body.projects.map((p) => p.id)).toContain(project.id);
    // Another member hears of it what they would of a project that does not exist.
    expect((await api('GET', `/v1/projects/${project.id}`, undefined, undefined, member)).status).toBe(404);
    expect((await api<{ total: number }>('GET', '/v1/projects', undefined, undefined, member)).body.total).toBe(0);
    // Archived, not deleted: still readable, read-only, listed only when asked for, and brought back.
    expect((await api<ProjectView>('DELETE', `/v1/projects/${project.id}`)).body.archived).toBe(true);
    expect((await api<ProjectView>('GET', `/v1/projects/${project.id}`)).body).toMatchObject({ archived: true, vision: '# Ship it' });
    const refused = await api<ErrorBody>('PUT', `/v1/projects/${project.id}/vision`, { vision: 'no' });
    expect([refused.status, refused.body.code]).toEqual([409, 'project_archived']);
    expect((await api<{ projects: ProjectView[] }>('GET', '/v1/projects')).body.projects.map((p) => p.id)).not.toContain(project.id);
    expect((await api<{ projects: ProjectView[] }>('GET', '/v1/projects?archived=true')).body.projects.map((p) => p.id)).toEqual([project.id]);
    expect((await api<ProjectView>('POST', `/v1/projects/${project.id}/archive`, { archived: false })).body.archived).toBe(false);
  });

  it('refuses a dependency cycle naming the keys on it, and changes nothing', async () => {
    const project = await newProject();
    const a = await newTask(project.id, { key: 'A', title: 'Schema' });
    const b = await newTask(project.id, { key: 'B', title: 'API', dependencies: [a.id] });
    const c = await newTask(project.id, { key: 'C', title: 'UI', dependencies: [b.id], labels: ['frontend'] });
    expect(c.dependencies).toEqual([b.id]);
    const cycle = await api<ErrorBody>('PUT', `/v1/projects/${project.id}/tasks/${a.id}`, { title: 'Schema v2', dependencies: [c.id] });
    expect([cycle.status, cycle.body.code]).toEqual([409, 'dependency_cycle']);
    expect((cycle.body.details as { cycles: string[][] }).cycles).toEqual([['A', 'B', 'C']]);
    const after = await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${a.id}`);
    expect(after.body).toMatchObject({ title: 'Schema', dependencies: [] });
    // A dependency on a task of no board of this project is a 400 naming it.
    const stranger = await api<ErrorBody>('PUT', `/v1/projects/${project.id}/tasks/${a.id}`, { dependencies: ['0193a000-0000-7000-8000-000000000000'] });
    expect(stranger.status).toBe(400);
    // Filters and pages.
    const frontend = await api<Tasks>('GET', `/v1/projects/${project.id}/tasks?label=frontend`);
    expect(frontend.body.tasks.map((t) => t.key)).toEqual(['C']);
    const first = await api<Tasks>('GET', `/v1/projects/${project.id}/tasks?limit=2&status=backlog`);
    expect([first.body.total, first.body.tasks.map((t) => t.key)]).toEqual([3, ['A', 'B']]);
    const second = await api<Tasks>('GET', `/v1/projects/${project.id}/tasks?limit=2&status=backlog&cursor=${first.body.next_cursor}`);
    expect([second.body.tasks.map((t) => t.key), second.body.next_cursor]).toEqual([['C'], null]);
  });

  it('moves tasks only along the workflow; a policy change applies to the next move, not to tasks already moved', async () => {
    const project = await newProject();
    const task = await newTask(project.id);
    const early = await newTask(project.id);
    const refused = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/${task.id}/transition`, { to: 'done' });
    expect([refused.status, refused.body.code, refused.body.details]).toEqual([409, 'transition_not_allowed', { from: 'backlog', to: 'done', allowed: ['ready', 'in_progress'] }]);
    expect((await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${task.id}`)).body.status).toBe('backlog');
    expect((await api<TaskView>('POST', `/v1/projects/${project.id}/tasks/${early.id}/transition`, { to: 'ready' })).body.status).toBe('ready');

    const policy = (await api<{ policy: WorkflowPolicy; custom: boolean }>('GET', `/v1/projects/${project.id}/workflow-policy`)).body;
    expect(policy.custom).toBe(false);
    // backlog → ready is no longer a move; a human gate appears on backlog → in_progress.
    const narrowed: WorkflowPolicy = {
      ...policy.policy,
      transitions: policy.policy.transitions.filter((t) => !(t.from === 'backlog' && t.to === 'ready'))
        .map((t) => (t.from === 'backlog' && t.to === 'in_progress' ? { ...t, requires_human: true } : t)),
    };
    expect((await api('PUT', `/v1/projects/${project.id}/workflow-policy`, { policy: narrowed })).status).toBe(200);
    const next = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/${task.id}/transition`, { to: 'ready' });
    expect([next.status, next.body.code]).toEqual([409, 'transition_not_allowed']);
    // Not retroactive: the task moved before the change stays where it is.
    expect((await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${early.id}`)).body.status).toBe('ready');
    const byAgent = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/${task.id}/transition`, { to: 'in_progress', agent_id: 'eric' });
    expect(byAgent.status).toBe(403);
    expect((await api<TaskView>('POST', `/v1/projects/${project.id}/tasks/${task.id}/transition`, { to: 'in_progress' })).body.status).toBe('in_progress');
    const bad = await api<ErrorBody>('PUT', `/v1/projects/${project.id}/workflow-policy`, { policy: { ...narrowed, initial_state: 'nowhere' } });
    expect([bad.status, JSON.stringify(bad.body.details)]).toEqual([400, expect.stringContaining('nowhere')]);
  });

  it('starts a task from the board as a run of its resolved pipeline, and the run\'s events move it to review', async () => {
    const project = await newProject({ default_pipeline: 'no-such-pipeline' });
    const policy = (await api<{ policy: WorkflowPolicy }>('GET', `/v1/projects/${project.id}/workflow-policy`)).body.policy;
    await api('PUT', `/v1/projects/${project.id}/workflow-policy`, { policy: { ...policy, routes: [{ label: 'docs', pipeline_id: 'demo', agents: [] }] } });
    const task = await newTask(project.id, { title: 'Write the guide', labels: ['docs'] });
    const resolved = await api<{ pipeline_id: string; matched: string; steps: Array<{ id: string }>; next_states: Array<{ to: string }>; on_complete: string }>(
      'POST', `/v1/projects/${project.id}/tasks/${task.id}/resolve-workflow`);
    expect(resolved.body).toMatchObject({ pipeline_id: 'demo', matched: 'label:docs', on_complete: 'review' });
    expect(resolved.body.steps.map((s) => s.id)).toEqual(['outline', 'draft', 'summary']);
    // Resolving started nothing.
    expect((await api<{ total: number }>('GET', '/v1/runs')).body.total).toBe(0);

    const started = await api<{ run_id: string; pipeline_id: string; task: TaskView }>('POST', `/v1/projects/${project.id}/tasks/${task.id}/execute`);
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ pipeline_id: 'demo', task: { status: 'in_progress', run_id: started.body.run_id } });
    const again = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/${task.id}/execute`);
    expect([again.status, again.body.code]).toEqual([409, 'task_running']);
    const moved = await eventually(async () => {
      const view = (await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${task.id}`)).body;
      expect(view.status).toBe('review');
      return view;
    }, 30_000, 100);
    expect(moved.run_id).toBe(started.body.run_id);
    expect((await api<{ status: string; project_id: string; task_id: string }>('GET', `/v1/runs/${started.body.run_id}`)).body)
      .toMatchObject({ status: 'completed', project_id: project.id, task_id: task.id });
    const history = await api<{ entries: Array<{ run_id: string; task_id: string }> }>('GET', `/v1/internal/run-history?task_id=${task.id}`);
    expect(new Set(history.body.entries.map((e) => e.run_id))).toEqual(new Set([started.body.run_id]));
    expect((await api<{ entries: unknown[] }>('GET', `/v1/internal/run-history?project_id=${project.id}`)).body.entries).toHaveLength(3);
    // Through events only: the task's stream holds the start, the run's end and the automatic move.
    const store = (system.services.projects as unknown as { context: { store: { readStream(id: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> } } }).context.store;
    expect((await store.readStream(`task-${task.id}`)).map((e) => [e.type, e.data.to ?? e.data.outcome ?? null])).toEqual([
      ['task_created', null], ['task_execution_started', null], ['task_transitioned', 'in_progress'], ['task_execution_finished', 'complete'], ['task_transitioned', 'review'],
    ]);
    // A task whose route names a pipeline that does not exist starts nothing and stays where it is.
    const orphan = await newTask(project.id, { title: 'No route' });
    const missing = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/${orphan.id}/execute`);
    expect(missing.status).toBe(404);
    expect((await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${orphan.id}`)).body).toMatchObject({ status: 'backlog', run_id: null });
  });

  it('moves a task whose run fails to blocked, and nothing for a run the board did not start', async () => {
    // One step on a provider this system does not have: the step fails, then the run.
    expect((await api('POST', '/v1/pipelines', { ...workerFlow('board-broken', 1), defaults: { ...workerFlow('board-broken', 1).defaults, maxRetries: 0 } })).status).toBe(201);
    const project = await newProject({ default_pipeline: 'board-broken' });
    const task = await newTask(project.id, { title: 'Doomed' });
    const bystander = await newTask(project.id, { title: 'Named by a run it did not start' });
    const started = await api<{ run_id: string }>('POST', `/v1/projects/${project.id}/tasks/${task.id}/execute`);
    expect(started.status).toBe(201);
    const other = await api<{ id: string }>('POST', '/v1/runs', { pipeline_id: 'demo', task_description: 'not from the board', project_id: project.id, task_id: bystander.id });
    await eventually(async () => expect((await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${task.id}`)).body.status).toBe('blocked'), 30_000, 100);
    expect((await api<{ status: string }>('GET', `/v1/runs/${started.body.run_id}`)).body.status).toBe('failed');
    await eventually(async () => expect((await api<{ status: string }>('GET', `/v1/runs/${other.body.id}`)).body.status).toBe('completed'), 30_000, 100);
    // The follower has handled the other run's end (its events come in stream order, one at a time) once a later run's end moved its task.
    const later = await newTask(project.id, { title: 'Later' });
    await api('POST', `/v1/projects/${project.id}/tasks/${later.id}/execute`);
    await eventually(async () => expect((await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${later.id}`)).body.status).toBe('blocked'), 30_000, 100);
    expect((await api<TaskView>('GET', `/v1/projects/${project.id}/tasks/${bystander.id}`)).body).toMatchObject({ status: 'backlog', run_id: null });
  });

  it('imports a planning output once when the request is retried with its Idempotency-Key', async () => {
    const project = await newProject();
    const plan = {
      run_id: 'planning-run-1',
      tasks: [
        { key: 'db', title: 'Tables', priority: 'P0' },
        { key: 'api', title: 'Routes', dependencies: ['db'] },
        { key: 'ui', title: 'Board', dependencies: ['api', 'db'], labels: ['frontend'] },
      ],
    };
    const headers = { 'idempotency-key': 'plan-2026-12-06' };
    const first = await api<{ import_id: string; replayed: boolean; tasks: TaskView[] }>('POST', `/v1/projects/${project.id}/tasks/import`, plan, headers);
    expect(first.status).toBe(201);
    expect(first.body.replayed).toBe(false);
    const retries = await Promise.all([1, 2, 3].map(() => api<{ import_id: string; replayed: boolean; tasks: TaskView[] }>('POST', `/v1/projects/${project.id}/tasks/import`, plan, headers)));
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ import_id: first.body.import_id, replayed: true });
      expect(retry.body.tasks.map((t) => t.id)).toEqual(first.body.tasks.map((t) => t.id));
    }
    const board = await api<Tasks>('GET', `/v1/projects/${project.id}/tasks`);
    expect(board.body.total).toBe(3);
    const byKey = Object.fromEntries(board.body.tasks.map((t) => [t.key, t]));
    expect(byKey.ui?.dependencies.sort()).toEqual([byKey.api?.id, byKey.db?.id].sort());
    const store = (system.services.projects as unknown as { context: { store: { readStream(id: string): Promise<Array<{ type: string }>> } } }).context.store;
    const projectEvents = (await store.readStream(`project-${project.id}`)).map((e) => e.type);
    expect(projectEvents.filter((t) => t === 'tasks_imported')).toHaveLength(1);
    expect(projectEvents.filter((t) => t === 'task_dependency_added')).toHaveLength(3);
    // The key with another request is refused; without a key, each request imports again.
    const other = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/import`, { tasks: [{ key: 'x', title: 'Else' }] }, headers);
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
    const cyclic = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/import`, { tasks: [{ key: 'p', title: 'P', dependencies: ['q'] }, { key: 'q', title: 'Q', dependencies: ['p'] }] });
    expect([cyclic.status, (cyclic.body.details as { cycles: string[][] }).cycles]).toEqual([409, [['p', 'q']]]);
    expect((await api<Tasks>('GET', `/v1/projects/${project.id}/tasks`)).body.total).toBe(3);
  });

  it('imports the task list a completed planning run handed back, given only the run', async () => {
    // A planning step on the offline model: its structured output is a list of two tasks.
    const plan = {
      id: 'board-plan', name: 'Board plan', defaults: { model: 'dry-run/echo', maxRetries: 0 },
      agents: [{ id: 'planner', name: 'Planner', persona: 'You plan.' }],
      steps: [{
        id: 'breakdown', agent: 'planner', input: 'Plan {{task_description}}', outputs: ['tasks'],
        structuredOutput: {
          type: 'object', additionalProperties: false, required: ['tasks'],
          properties: { tasks: { type: 'array', minItems: 2, items: { type: 'object', additionalProperties: false, required: ['title', 'priority'], properties: { title: { type: 'string' }, priority: { type: 'string', enum: ['P1'] } } } } },
        },
      }],
    };
    expect((await api('POST', '/v1/pipelines', plan)).status).toBe(201);
    const project = await newProject();
    const run = await api<{ id: string }>('POST', '/v1/runs', { pipeline_id: 'board-plan', task_description: 'a website', project_id: project.id });
    const early = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/import`, { run_id: run.body.id });
    if (early.status !== 201) expect([early.status, early.body.code]).toEqual([409, 'conflict']);
    await eventually(async () => expect((await api<{ status: string }>('GET', `/v1/runs/${run.body.id}`)).body.status).toBe('completed'), 30_000, 100);
    const imported = await api<{ replayed: boolean; tasks: TaskView[] }>('POST', `/v1/projects/${project.id}/tasks/import`, { run_id: run.body.id }, { 'idempotency-key': `from-${run.body.id}` });
    expect(imported.status).toBe(201);
    expect(imported.body.tasks.map((t) => [t.key, t.priority])).toEqual([['item-1', 'P1'], ['item-2', 'P1']]);
    const nothing = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/import`, {});
    expect([nothing.status, nothing.body.code]).toEqual([400, 'validation_failed']);
  });

  it('claims: one holder at a time, 409 naming it', async () => {
    const project = await newProject();
    const task = await newTask(project.id);
    expect((await api<TaskView>('POST', `/v1/projects/${project.id}/tasks/${task.id}/claim`, { agent_id: 'finn' })).body.claim?.holder).toBe('agent:finn');
    const second = await api<ErrorBody>('POST', `/v1/projects/${project.id}/tasks/${task.id}/claim`);
    expect([second.status, second.body.code, (second.body.details as { holder: string }).holder]).toEqual([409, 'task_claimed', 'agent:finn']);
    expect((await api<TaskView>('POST', `/v1/projects/${project.id}/tasks/${task.id}/release`)).body.claim).toBeNull();
  });

  it('answers 503 naming the reason when a swarm is asked for and no swarms service is deployed', async () => {
    const project = await newProject();
    const a = await newTask(project.id, { key: 'a' });
    const b = await newTask(project.id, { key: 'b', dependencies: [a.id] });
    const reply = await api<ErrorBody>('POST', `/v1/projects/${project.id}/swarm-execute`, { task_ids: [a.id, b.id], agent_id: 'yukihiro' });
    // The gateway keeps the texts of unavailable answers to itself; the code is the reason.
    expect([reply.status, reply.body.code]).toEqual([503, 'swarms_not_deployed']);
  });

  it('streams the events of one project with ?project_id=', async () => {
    const watched = await newProject({ name: 'Watched' });
    const other = await newProject({ name: 'Other' });
    const stream = await openStream(system.baseUrl, { token, query: { project_id: watched.id } });
    try {
      expect(stream.status).toBe(200);
      await newTask(other.id, { title: 'Elsewhere' });
      const task = await newTask(watched.id, { title: 'Here' });
      await api('POST', `/v1/projects/${watched.id}/tasks/${task.id}/claim`, { agent_id: 'eric' });
      // The project's own creation may reach the stream after it opened (the relay publishes after the commit).
      const seen = () => stream.events.map((e) => [e.event, (JSON.parse(e.data) as { data: { project_id: string } }).data.project_id]).filter(([type]) => type !== 'project_created');
      await eventually(() => expect(seen()).toEqual([['task_created', watched.id], ['task_claimed', watched.id]]), 10_000, 50);
      expect(stream.events.every((e) => (JSON.parse(e.data) as { data: { project_id: string } }).data.project_id === watched.id)).toBe(true);
    } finally {
      stream.close();
    }
    // A member cannot watch another's project.
    const theirs = await openStream(system.baseUrl, { token: member, query: { project_id: watched.id } });
    try {
      await api('PUT', `/v1/projects/${watched.id}/vision`, { vision: 'unseen' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(theirs.events).toEqual([]);
    } finally {
      theirs.close();
    }
  });
});

describe('a board launched as a swarm', () => {
  let system: System;
  let token: string;
  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', orchestration: {}, registry: checkRegistry([identityService, runsService, agentsService, swarmsService, projectsService]) });
    token = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(() => system?.stop());

  it('runs the chosen tasks along their dependency edges, each task\'s run naming its project and task', async () => {
    const api = <T = unknown>(method: string, path: string, body?: unknown) => call<T>(system.baseUrl, method, path, { token, ...(body !== undefined ? { body } : {}) });
    const project = (await api<ProjectView>('POST', '/v1/projects', { name: 'Swarmed' })).body;
    const schema = (await api<TaskView>('POST', `/v1/projects/${project.id}/tasks`, { key: 'schema', title: 'Content schema' })).body;
    const pages = (await api<TaskView>('POST', `/v1/projects/${project.id}/tasks`, { key: 'pages', title: 'Page templates', dependencies: [schema.id] })).body;
    const launched = await api<{ swarm_id: string; total_tasks: number; root_tasks: string[]; max_depth: number }>(
      'POST', `/v1/projects/${project.id}/swarm-execute`, { task_ids: [schema.id, pages.id], agent_id: 'demo-writer', max_concurrent: 2 });
    expect(launched.status).toBe(202);
    expect(launched.body).toMatchObject({ total_tasks: 2, root_tasks: ['schema'], max_depth: 2 });
    const done = await eventually(async () => {
      const swarm = await api<{ status: string }>('GET', `/v1/swarm/${launched.body.swarm_id}`);
      expect(swarm.body.status).toBe('completed');
      return (await api<{ tasks: Array<{ key: string; run_ids?: string[]; run_id?: string | null }> }>('GET', `/v1/swarm/${launched.body.swarm_id}/tasks`)).body.tasks;
    }, 30_000, 200);
    for (const [task, key] of [[schema, 'schema'], [pages, 'pages']] as const) {
      const entry = done.find((t) => t.key === key)!;
      const runId = entry.run_id ?? entry.run_ids?.at(-1);
      const run = await api<{ project_id: string | null; task_id: string | null }>('GET', `/v1/runs/${runId}`);
      expect(run.body).toMatchObject({ project_id: project.id, task_id: task.id });
    }
  });
});
