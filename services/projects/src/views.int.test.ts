import { projectCreate, projectList, taskCreate, taskList } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ALICE, startHarness, type Harness } from './test-support/harness';

describe('the board read models', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
  });
  afterAll(async () => h?.dispose());

  it('are written by the replica that ran the command before it replies', async () => {
    const project = await h.send(projectCreate, { name: 'At once' });
    const task = await h.send(taskCreate, { project_id: project.id, title: 'Listed at once' });
    expect((await h.send(taskList, { project_id: project.id })).tasks.map((t) => t.id)).toEqual([task.id]);
    expect((await h.send(projectList, {})).projects.map((p) => p.id)).toContain(project.id);
  });

  it('are written by the projection for events whose writer died before writing them', async () => {
    const project = await h.send(projectCreate, { name: 'Repaired' });
    const first = await h.send(taskCreate, { project_id: project.id, title: 'Written by its replica' });
    // What a replica that died after its commit leaves behind: events, no rows.
    const store = h.replicas[0]!.context.store;
    const taskId = '0193a000-0000-7000-8000-0000000000f1';
    await store.append(`task-${taskId}`, 'no_stream', [
      { type: 'task_created', data: { project_id: project.id, task_id: taskId, key: 'LOST', title: 'Committed, not listed', status: 'backlog' }, meta: { owner: ALICE.user_id! } },
    ], { subjectScope: project.id });
    await store.append(`project-${project.id}`, 1, [
      { type: 'task_dependency_added', data: { project_id: project.id, task_id: taskId, depends_on: first.id }, meta: { owner: ALICE.user_id! } },
      { type: 'project_vision_updated', data: { project_id: project.id, vision: 'seen by the projection' }, meta: { owner: ALICE.user_id! } },
    ], { subjectScope: project.id });
    await eventually(async () => {
      const board = await h.send(taskList, { project_id: project.id });
      // (The harness's clock stands still: tasks created at one time are in id order.)
      expect(board.tasks.map((t) => [t.key, t.dependencies]).sort()).toEqual([[first.key, []], ['LOST', [first.id]]].sort());
    }, 10_000, 50);
    await eventually(async () => expect((await h.send(projectList, {})).projects.find((p) => p.id === project.id)?.version).toBe(3), 10_000, 50);
  });
});
