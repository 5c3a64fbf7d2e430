import { createEventStore } from '@cadre/eventstore';
import { createEventRegistry, runCreate, runHistory, runList } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { startHarness, type Harness } from './test-support/harness';

describe('the run read models', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
  });
  afterAll(async () => h?.dispose());

  const checkpoint = async (): Promise<number> =>
    Number((await h.pool.query<{ position: string }>("select position from runs.projection_checkpoints where name = 'run_views'")).rows[0]?.position ?? 0);
  const listed = async (): Promise<string[]> => (await h.send(runList, { pipeline_id: 'review-flow' })).runs.map((run) => run.id);

  it('are written by the replica that made the change before it replies, and the projection stores its position past them', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'listed at once' });
    expect(await listed()).toContain(run.id);
    // Passed over by the projection (this replica wrote them), whose position moves all the same.
    await eventually(async () => expect(await checkpoint()).toBe(await h.bus.events.lastSeq()), 10_000, 100);
  });

  it('are written by the projection of the bus for a run whose writer died before writing them', async () => {
    // What that replica left behind: the event committed and relayed, no read-model rows.
    const store = await createEventStore({ pool: h.pool, schema: 'runs', registry: createEventRegistry(), migrate: false });
    const runId = 'unlisted-run-1';
    await store.append(`run-${runId}`, 'no_stream', [
      { type: 'run_created', data: { run_id: runId, pipeline_id: 'review-flow', task_description: 'left unlisted', created_by: 'user:u-admin' } },
    ], { subjectScope: runId });
    await eventually(async () => expect(await listed()).toContain(runId), 10_000, 50);
    await eventually(async () => expect(await checkpoint()).toBe(await h.bus.events.lastSeq()), 10_000, 100);
  });

  it('answer the run history by project and by task', async () => {
    const forTask = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'a task of a board', project_id: 'proj-1', task_id: 'task-1' });
    const sameProject = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'another task', project_id: 'proj-1', task_id: 'task-2' });
    await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'no board' });
    const runsOf = async (filter: { project_id?: string; task_id?: string }) => new Set((await h.send(runHistory, filter)).entries.map((e) => e.run_id));
    await eventually(async () => expect(await runsOf({ task_id: 'task-1' })).toEqual(new Set([forTask.id])), 10_000, 50);
    expect(await runsOf({ project_id: 'proj-1' })).toEqual(new Set([forTask.id, sameProject.id]));
    expect(await runsOf({ project_id: 'proj-1', task_id: 'task-2' })).toEqual(new Set([sameProject.id]));
    expect(await runsOf({ task_id: 'no-such-task' })).toEqual(new Set());
  });
});
