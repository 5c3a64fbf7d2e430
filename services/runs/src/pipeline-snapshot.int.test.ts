import { pipelineCreate, pipelineDelete, pipelineUpdate, runCreate, runGet, stepList, type StepJob } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { MAX_PIPELINE_SNAPSHOT_BYTES } from './run/decide';
import { startHarness, type Harness } from './test-support/harness';

/** Two steps, `first` then `second`; the edit below replaces them with one step, `other`. */
const original = (id: string, persona = 'p') => ({
  id, name: 'Two steps', defaults: { model: 'dry-run/echo' }, agents: [{ id: 'a', name: 'A', persona }],
  steps: [
    { id: 'first', agent: 'a', input: 'first: {{task_description}}', outputs: ['x'] },
    { id: 'second', agent: 'a', input: 'second: {{steps.first.outputs.x}}', outputs: ['y'] },
  ],
});
const edited = (id: string) => ({
  id, name: 'Edited', defaults: { model: 'dry-run/echo' }, agents: [{ id: 'a', name: 'A', persona: 'p' }],
  steps: [{ id: 'other', agent: 'a', input: 'other: {{task_description}}', outputs: ['z'] }],
});

// Two replicas on one bus: the reports of a step go to either, so each one's view of the run's
// pipeline counts, not only the one that created it.
describe('a run keeps the pipeline it was created with', () => {
  let h: Harness;
  /** Step jobs of `first` wait until the test lets them go. */
  let release!: () => void;
  let released = new Promise<void>((resolve) => { release = resolve; });
  beforeAll(async () => {
    h = await startHarness({ replicas: 2 });
    await h.startExecutor(async (job: StepJob) => {
      if (job.step_id === 'first') await released;
      return { kind: 'complete', outputs: Object.fromEntries(job.outputs.map((name) => [name, `${job.step_id} done`])) };
    });
  });
  afterAll(async () => {
    release();
    await h?.dispose();
  });
  const stepsOf = (runId: string) => h.jobs.filter((j) => j.run_id === runId).map((j) => j.step_id);
  const completed = (runId: string) =>
    eventually(async () => expect((await h.send(runGet, { run_id: runId })).status).toBe('completed'), 15_000);

  it('finishes with its original steps when the pipeline is edited mid-run, and a run created after the edit follows the edit', async () => {
    await h.send(pipelineCreate, original('edited-mid-run'));
    const before = await h.send(runCreate, { pipeline_id: 'edited-mid-run', task_description: 't' });
    await eventually(() => expect(stepsOf(before.id)).toEqual(['first']));
    // The edit is acknowledged while the run works on its first step.
    await h.send(pipelineUpdate, { pipeline_id: 'edited-mid-run', ...edited('edited-mid-run') });
    const after = await h.send(runCreate, { pipeline_id: 'edited-mid-run', task_description: 't' });
    release();
    await completed(before.id);
    await completed(after.id);
    expect(stepsOf(before.id)).toEqual(['first', 'second']);
    expect(h.jobs.find((j) => j.run_id === before.id && j.step_id === 'second')?.input).toBe('second: first done');
    expect((await h.send(stepList, { run_id: before.id })).steps.map((s) => [s.step_id, s.status])).toEqual([['first', 'completed'], ['second', 'completed']]);
    expect(stepsOf(after.id)).toEqual(['other']);
    // The run's first event carries the definition it follows.
    await eventually(() => expect(h.eventsOf(before.id).find((e) => e.type === 'run_created')?.data.pipeline)
      .toMatchObject({ id: 'edited-mid-run', steps: [{ id: 'first' }, { id: 'second' }] }));
  });

  it('finishes when its pipeline is deleted mid-run', async () => {
    released = new Promise<void>((resolve) => { release = resolve; });
    await h.send(pipelineCreate, original('deleted-mid-run'));
    const run = await h.send(runCreate, { pipeline_id: 'deleted-mid-run', task_description: 't' });
    await eventually(() => expect(stepsOf(run.id)).toEqual(['first']));
    await h.send(pipelineDelete, { pipeline_id: 'deleted-mid-run' });
    release();
    await completed(run.id);
    expect(stepsOf(run.id)).toEqual(['first', 'second']);
  });

  it('follows the stored pipeline when its definition is too big to carry (as runs made before the snapshot do)', async () => {
    released = new Promise<void>((resolve) => { release = resolve; });
    // Three personas of 100,000 characters: over the bound, so run_created has no snapshot.
    const big = { ...original('too-big'), agents: ['a', 'b', 'c'].map((id) => ({ id, name: id, persona: 'x'.repeat(100_000) })) };
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_PIPELINE_SNAPSHOT_BYTES);
    await h.send(pipelineCreate, big);
    const run = await h.send(runCreate, { pipeline_id: 'too-big', task_description: 't' });
    await eventually(() => expect(stepsOf(run.id)).toEqual(['first']));
    await eventually(() => expect(h.eventsOf(run.id).find((e) => e.type === 'run_created')?.data).toMatchObject({ run_id: run.id }));
    expect(h.eventsOf(run.id).find((e) => e.type === 'run_created')?.data).not.toHaveProperty('pipeline');
    // Without a snapshot the run is routed on the stored definition as it is at each step.
    await h.send(pipelineUpdate, { pipeline_id: 'too-big', ...big, steps: [big.steps[0]!, { ...big.steps[1]!, id: 'renamed' }] });
    release();
    await completed(run.id);
    expect(stepsOf(run.id)).toEqual(['first', 'renamed']);
  });
});
