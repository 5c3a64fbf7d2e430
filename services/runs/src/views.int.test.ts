import { createEventStore } from '@cadre/eventstore';
import { createEventRegistry, runCreate, runGet, runHistory, runList, stepList, type StepJob } from '@cadre/proto';
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

describe('the run read models a command writes', () => {
  let h: Harness;
  /** The review of each run waits for its gate to open. */
  const gates = new Map<string, () => void>();
  const opened = new Map<string, Promise<void>>();
  const gateOf = (runId: string): Promise<void> => {
    if (!opened.has(runId)) opened.set(runId, new Promise<void>((resolve) => gates.set(runId, resolve)));
    return opened.get(runId)!;
  };
  const open = (runId: string): void => {
    void gateOf(runId);
    gates.get(runId)!();
  };
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
    await h.startExecutor(async (job: StepJob) => {
      if (job.step_id === 'review') await gateOf(job.run_id);
      return { kind: 'complete', outputs: job.step_id === 'review' ? { verdict: 'APPROVED', comments: 'ok' } : Object.fromEntries(job.outputs.map((name) => [name, `${job.step_id} done`])) };
    });
  });
  afterAll(async () => {
    for (const release of gates.values()) release();
    await h?.dispose();
  });

  const stepRows = async (runId: string) => new Map((await h.pool.query<{ step_id: string; version: number; status: string; body: unknown }>(
    'select step_id, version, status, body from runs.step_view where run_id = $1', [runId])).rows.map((row) => [row.step_id, row]));
  const historyRows = async (runId: string) => (await h.pool.query<{ step_id: string; attempt: number; version: number; body: { status: string } }>(
    'select step_id, attempt, version, body from runs.run_history where run_id = $1 order by step_id, attempt', [runId])).rows;
  const runRow = async (runId: string) => (await h.pool.query<{ version: number }>('select version from runs.run_view where run_id = $1', [runId])).rows[0];
  /** Each step's row holds what the API presents of the run (its state). */
  const expectCurrent = async (runId: string): Promise<void> => {
    const rows = await stepRows(runId);
    const { steps } = await h.send(stepList, { run_id: runId });
    expect(steps.length).toBe(3);
    for (const step of steps) expect(rows.get(step.step_id)?.body).toEqual(JSON.parse(JSON.stringify(step)));
    const history = await historyRows(runId);
    expect(history.map((row) => [row.step_id, row.attempt, row.body.status])).toEqual(
      steps.filter((step) => step.attempt > 0).map((step) => [step.step_id, step.attempt, step.status]).sort(([a], [b]) => String(a).localeCompare(String(b))));
  };
  const reviewRunning = async (runId: string): Promise<void> =>
    eventually(async () => expect((await stepRows(runId)).get('review')?.status).toBe('running'), 10_000, 20);

  it('are only the step and history rows its events changed; the others keep their version and stay current', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'written by change' });
    await reviewRunning(run.id);
    const version = (await runRow(run.id))!.version;
    const rows = await stepRows(run.id);
    // plan: queued at create, then started and completed; each of its commands rewrote it.
    // review: written at create (pending), then by the command that queued it and the one that started it.
    expect(rows.get('review')?.version).toBe(version);
    expect(rows.get('plan')?.version).toBeLessThan(version);
    expect(rows.get('implement')?.version).toBeLessThan(version);
    const history = await historyRows(run.id);
    expect(history.find((row) => row.step_id === 'plan')?.version).toBeLessThan(version);
    await expectCurrent(run.id);
    open(run.id);
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('completed'), 10_000, 20);
    await expectCurrent(run.id);
    expect((await stepRows(run.id)).get('plan')?.version).toBe(rows.get('plan')?.version);
  });

  it('are every row when the run\'s rows lag behind the state the command started from', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'rows that lag' });
    await reviewRunning(run.id);
    // Rows one version behind, as a writer that died before writing them leaves them: the run's row
    // at the previous version, the other rows as nothing the run ever was.
    await h.pool.query('update runs.run_view set version = version - 1 where run_id = $1', [run.id]);
    await h.pool.query(`update runs.step_view set body = '{}'::jsonb, version = 0 where run_id = $1 and step_id <> 'review'`, [run.id]);
    await h.pool.query(`update runs.run_history set body = '{"status":"stale"}'::jsonb, version = 0 where run_id = $1 and step_id <> 'review'`, [run.id]);
    open(run.id);
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('completed'), 10_000, 20);
    const version = (await runRow(run.id))!.version;
    for (const row of (await stepRows(run.id)).values()) expect(row.version).toBe(version);
    await expectCurrent(run.id);
  });

  it('are every row when the run\'s rows were presented another way (another release, another pipeline)', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'rows of another format' });
    await reviewRunning(run.id);
    expect((await h.pool.query('select rows_format from runs.run_view where run_id = $1', [run.id])).rows[0]?.rows_format).toMatch(/^\d+:/);
    // What a replica presenting rows another way wrote at this very version: a member less in a row
    // the next command does not change.
    await h.pool.query(`update runs.run_view set rows_format = 'another' where run_id = $1`, [run.id]);
    await h.pool.query(`update runs.step_view set body = body - 'retry_count' where run_id = $1 and step_id = 'plan'`, [run.id]);
    open(run.id);
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('completed'), 10_000, 20);
    await expectCurrent(run.id);
  });
});
