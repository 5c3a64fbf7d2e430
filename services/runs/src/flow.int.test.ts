import { runCreate, runGet, runList, stepGet, stepList, stepOutput, type RunView, type StepJob } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { startHarness, type Harness, type Script } from './test-support/harness';

/** Plan, implement, review: the review asks for changes once, then approves. */
const reviewScript: Script = async (job: StepJob) => {
  switch (job.step_id) {
    case 'plan': return { kind: 'complete', outputs: { plan: 'three files' } };
    case 'implement': return { kind: 'complete', outputs: { summary: `change v${job.attempt}` } };
    default: return job.attempt === 1
      ? { kind: 'complete', outputs: { verdict: 'CHANGES_REQUESTED', comments: 'add tests' } }
      : { kind: 'complete', outputs: { verdict: 'APPROVED', comments: 'ok' } };
  }
};

describe.each(['embedded', 'nats'] as const)('a run of a 3-step pipeline (%s bus)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
    await h.startExecutor(reviewScript);
  });
  afterAll(async () => h?.dispose());

  it('completes after the review routes back once, with every event in order', async () => {
    const created = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'Build a todo API', project_name: 'todo' });
    expect(created).toMatchObject({ pipeline_id: 'review-flow', status: 'pending', task_description: 'Build a todo API', current_step_id: 'plan' });
    // Read-your-writes: the list shows the run right after the command.
    const listed = await h.send(runList, { pipeline_id: 'review-flow' });
    expect(listed.runs.map((r: RunView) => r.id)).toContain(created.id);

    await eventually(async () => expect((await h.send(runGet, { run_id: created.id })).status).toBe('completed'), 20_000);
    await eventually(() => expect(h.eventsOf(created.id).map((e) => e.type)).toContain('run_complete'), 10_000);
    const types = h.eventsOf(created.id).map((e) => e.type).filter((t) => t !== 'activity');
    expect(types).toEqual([
      'run_created', 'step_queued', 'step_started', 'step_complete',
      'step_queued', 'step_started', 'step_complete',
      'step_queued', 'step_started', 'step_complete',
      'step_queued', 'step_started', 'step_complete',
      'step_queued', 'step_started', 'step_complete', 'run_complete',
    ]);
    const jobs = h.jobs.filter((j) => j.run_id === created.id);
    expect(jobs.map((j) => `${j.step_id}#${j.attempt}`)).toEqual(['plan#1', 'implement#1', 'review#1', 'implement#2', 'review#2']);
    expect(jobs[1]).toMatchObject({ agent_id: 'dev', model: 'dry-run/echo', system_prompt: 'You build.', input: expect.stringContaining('Do three files.'), outputs: ['summary'] });
    expect(jobs[3]?.input).toContain('Comments: add tests');
    expect(jobs[4]?.input).toBe('Review change v2');

    const steps = await h.send(stepList, { run_id: created.id });
    expect(steps.steps.map((s) => [s.step_id, s.status, s.attempt])).toEqual([['plan', 'completed', 1], ['implement', 'completed', 2], ['review', 'completed', 2]]);
    await expect(h.send(stepGet, { run_id: created.id, step_id: 'review' })).resolves.toMatchObject({ agent_id: 'rev', outputs: { verdict: 'APPROVED' } });
    await expect(h.send(stepOutput, { run_id: created.id, step_id: 'implement' })).resolves.toEqual({ run_id: created.id, step_id: 'implement', status: 'completed', outputs: { summary: 'change v2' } });
    await eventually(async () => {
      const completed = await h.send(runList, { status: 'completed' });
      expect(completed.runs.map((r: RunView) => r.id)).toContain(created.id);
    });
  });
});
