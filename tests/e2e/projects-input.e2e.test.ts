import fc from 'fast-check';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { projectsService } from '@cadre/projects';
import { DEFAULT_WORKFLOW_POLICY, projectRoutes, type ProjectView, type RouteDefinition, type TaskView } from '@cadre/proto';
import { setupAdmin } from '../support/auth';
import { malformedRequests } from '../support/fuzz';
import { call } from '../support/http';
import { startSystem, type System } from '../support/system';

const BODY_LIMIT = 64 * 1024;
const UNKNOWN = '0193a000-0000-7000-8000-00000000abcd';

/** A body each route takes, so that only the ids in the path are wrong. */
const VALID_BODY: Readonly<Record<string, unknown>> = {
  createProject: { name: 'n' }, setProjectVision: { vision: 'v' }, setWorkflowPolicy: { policy: DEFAULT_WORKFLOW_POLICY },
  createTask: { title: 't' }, importTasks: { tasks: [{ key: 'a', title: 'A' }] }, transitionTask: { to: 'ready' },
  swarmExecuteProject: { task_ids: [UNKNOWN], agent_id: 'a' },
};

/** The route's path with its ids filled in. */
const pathOf = (route: RouteDefinition, ids: { project_id: string; task_id: string }): string =>
  route.path.replace('{project_id}', ids.project_id).replace('{task_id}', ids.task_id);

describe('bad input on every projects route', () => {
  let system: System;
  let token: string;
  let project: ProjectView;
  let task: TaskView;
  const send = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, system.baseUrl), {
      method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body } : {}),
    }).then(async (res) => ({ status: res.status, body: await res.text() }));
  const versions = async () => {
    const p = await call<ProjectView>(system.baseUrl, 'GET', `/v1/projects/${project.id}`, { token });
    const t = await call<TaskView>(system.baseUrl, 'GET', `/v1/projects/${project.id}/tasks/${task.id}`, { token });
    return [p.body.version, t.body.version];
  };

  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', env: { BODY_LIMIT: String(BODY_LIMIT) }, registry: checkRegistry([identityService, projectsService]) });
    token = (await setupAdmin(system.baseUrl)).access_token;
    project = (await call<ProjectView>(system.baseUrl, 'POST', '/v1/projects', { token, body: { name: 'Guarded' } })).body;
    task = (await call<TaskView>(system.baseUrl, 'POST', `/v1/projects/${project.id}/tasks`, { token, body: { title: 'Guarded task' } })).body;
  });
  afterAll(() => system?.stop());

  it('answers 400 for ids that are not ids, 404 for unknown projects and tasks, 413 over the size limit and 400 for malformed JSON — and changes nothing', async () => {
    const before = await versions();
    const outcomes: Array<{ what: string; route: string; status: number; expected: number }> = [];
    const check = async (what: string, route: RouteDefinition, path: string, expected: number, body?: string) => {
      const reply = await send(route.method.toUpperCase(), path, body);
      outcomes.push({ what, route: route.operationId, status: reply.status, expected });
    };
    // Also the swarm of a known project naming a task it does not have.
    await check('unknown task', projectRoutes.find((r) => r.operationId === 'swarmExecuteProject')!, `/v1/projects/${project.id}/swarm-execute`, 404, JSON.stringify(VALID_BODY.swarmExecuteProject));
    for (const route of projectRoutes) {
      const withBody = route.body !== undefined ? JSON.stringify(VALID_BODY[route.operationId] ?? {}) : undefined;
      if (route.path.includes('{project_id}')) {
        await check('bad project id', route, pathOf(route, { project_id: 'not-a-uuid', task_id: task.id }), 400, withBody);
        await check('unknown project', route, pathOf(route, { project_id: UNKNOWN, task_id: task.id }), 404, withBody);
      }
      if (route.path.includes('{task_id}')) {
        await check('bad task id', route, pathOf(route, { project_id: project.id, task_id: 'not-a-uuid' }), 400, withBody);
        await check('unknown task', route, pathOf(route, { project_id: project.id, task_id: UNKNOWN }), 404, withBody);
      }
      if (route.body !== undefined) {
        const path = pathOf(route, { project_id: project.id, task_id: task.id });
        await check('oversized text', route, path, 413, JSON.stringify({ name: 'n', title: 't', vision: 'v'.repeat(BODY_LIMIT + 16) }));
        await check('malformed JSON', route, path, 400, '{"name": "unterminated');
        await check('wrong types', route, path, 400, JSON.stringify({ name: 7, title: [], vision: {}, to: 3, tasks: 'x', task_ids: 'x', policy: [], archived: 'yes', dependencies: 'x', agent_id: '', pipeline_id: 5, ttl_seconds: -1, limit: 'x' }));
      }
    }
    expect(outcomes.filter((o) => o.status !== o.expected)).toEqual([]);
    expect(outcomes.length).toBeGreaterThan(60);
    expect(await versions()).toEqual(before);
  });

  it('names the field of a text over its own limit', async () => {
    const reply = await call<{ code: string; details: Array<{ path: string }> }>(system.baseUrl, 'PUT', `/v1/projects/${project.id}/tasks/${task.id}`, { token, body: { title: 't'.repeat(501) } });
    expect([reply.status, reply.body.code, reply.body.details.map((d) => d.path)]).toEqual([400, 'validation_failed', ['body.title']]);
    const key = await send('POST', `/v1/projects/${project.id}/tasks/import`, JSON.stringify({ tasks: [{ key: 'a', title: 'A' }] }), { 'idempotency-key': 'x'.repeat(300) });
    expect(key.status).toBe(400);
  });

  it('never answers a 5xx to generated malformed requests, and every error uses the one envelope', async () => {
    const requests = projectRoutes.flatMap((route) => fc.sample(malformedRequests(route), { numRuns: 40, seed: 20261206 }));
    const outcomes = [];
    for (let i = 0; i < requests.length; i += 16) {
      outcomes.push(...await Promise.all(requests.slice(i, i + 16).map(async (request) => ({
        request, ...(await send(request.method, request.path, request.body as string | undefined, request.headers)),
      }))));
    }
    expect(outcomes.filter((o) => o.status >= 500).map((o) => `${o.request.method} ${o.request.path.slice(0, 80)} ${o.status} ${o.body.slice(0, 120)}`)).toEqual([]);
    const badEnvelopes = outcomes.filter((o) => o.status >= 400).filter((o) => {
      try {
        const parsed = JSON.parse(o.body) as { error?: unknown; code?: unknown };
        return typeof parsed.error !== 'string' || typeof parsed.code !== 'string';
      } catch {
        return true;
      }
    });
    expect(badEnvelopes.map((o) => `${o.request.method} ${o.request.path.slice(0, 60)} ${o.status}`)).toEqual([]);
  });
});
