import {
  NotFoundError, ValidationError, reportStepCompleted, runCancel, runCancelSubject, runCreate, runGet, runHistory, runList, runRestart,
  type StepJob,
} from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { startHarness, type Harness } from './test-support/harness';

const typesOf = (h: Harness, runId: string): string[] => h.eventsOf(runId).map((e) => e.type).filter((t) => t !== 'activity');
const count = (list: readonly string[], type: string): number => list.filter((t) => t === type).length;

describe('runs that fail, time out, are cancelled and restarted', () => {
  let h: Harness;
  let failImplement = true;
  let hangAll = false;
  const release: Array<() => void> = [];
  beforeAll(async () => {
    h = await startHarness();
    await h.startExecutor(async (job: StepJob) => {
      if (hangAll || job.step_id === 'only') return { kind: 'hang', until: new Promise<void>((resolve) => release.push(resolve)) };
      switch (job.step_id) {
        case 'plan': return { kind: 'complete', outputs: { plan: 'three files' } };
        case 'implement': return failImplement ? { kind: 'fail', error: 'model exploded' } : { kind: 'complete', outputs: { summary: 'done' } };
        default: return { kind: 'complete', outputs: { verdict: 'APPROVED', comments: 'ok' } };
      }
    });
  });
  afterAll(async () => {
    for (const r of release) r();
    await h?.dispose();
  });

  it('retries a failing step with the failure as feedback, then fails the run', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'fail please' });
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('failed'), 20_000);
    await eventually(() => expect(typesOf(h, run.id)).toContain('run_failed'));
    const types = typesOf(h, run.id);
    expect(count(types, 'step_failed')).toBe(3);
    expect(count(types, 'step_retrying')).toBe(2);
    expect(types.at(-1)).toBe('run_failed');
    const implementJobs = h.jobs.filter((j) => j.run_id === run.id && j.step_id === 'implement');
    expect(implementJobs.map((j) => j.attempt)).toEqual([1, 2, 3]);
    expect(implementJobs[1]?.feedback).toContain('Previous attempt failed: model exploded');
    expect(implementJobs[1]?.input).toContain('Previous attempt failed: model exploded');
    await expect(h.send(runGet, { run_id: run.id })).resolves.toMatchObject({ error: expect.stringContaining('model exploded') });
    // The history is a read model: the events (on the bus) can be seen a moment before its rows.
    await eventually(async () => {
      const history = await h.send(runHistory, { agent_id: 'dev', status: 'failed' });
      expect(history.entries.filter((e) => e.run_id === run.id)).toHaveLength(3);
    });

    // Restart resumes at the failed step and keeps the plan's output.
    failImplement = false;
    const restarted = await h.send(runRestart, { run_id: run.id });
    expect(restarted.status).toBe('pending');
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('completed'), 20_000);
    const jobs = h.jobs.filter((j) => j.run_id === run.id).map((j) => `${j.step_id}#${j.attempt}`);
    expect(jobs).toEqual(['plan#1', 'implement#1', 'implement#2', 'implement#3', 'implement#4', 'review#1']);
    expect(h.jobs.find((j) => j.run_id === run.id && j.step_id === 'implement' && j.attempt === 4)?.input).toContain('Do three files.');

    // A duplicate report (same or another delivery) is recorded once.
    for (const attemptId of ['x-1', 'x-2']) {
      await expect(h.send(reportStepCompleted, { run_id: run.id, step_id: 'plan', attempt: 1, attempt_id: attemptId, outputs: { plan: 'again' } }))
        .resolves.toEqual({ accepted: false });
    }
    await expect(h.send(runGet, { run_id: run.id })).resolves.toMatchObject({ outputs: { plan: { plan: 'three files' } } });
    expect(h.eventsOf(run.id).filter((e) => e.type === 'step_complete' && e.data.step_id === 'plan')).toHaveLength(1);
  });

  it('fails a step that runs past its timeout, retries it, then fails the run', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'slow-flow', task_description: 'never ends' });
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('failed'), 20_000);
    // The read model says failed once the append is done; the bus has it once the relay published it.
    await eventually(() => expect(typesOf(h, run.id).at(-1)).toBe('run_failed'));
    const failed = h.eventsOf(run.id).filter((e) => e.type === 'step_failed');
    expect(failed).toHaveLength(2);
    expect(failed.every((e) => e.data.timed_out === true && e.data.error === 'timed out after 1 s')).toBe(true);
    expect(typesOf(h, run.id)).toEqual([
      'run_created', 'step_queued', 'step_started', 'step_failed', 'step_retrying', 'step_queued', 'step_started', 'step_failed', 'run_failed',
    ]);
  });

  it('cancels mid-step: the executor is told, late reports are ignored, no later step starts', async () => {
    hangAll = true;
    const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'cancel me' });
    const announced: string[] = [];
    const sub = h.bus.ephemeral.subscribe(runCancelSubject(run.id), (m) => void announced.push(m.json<{ run_id: string }>().run_id));
    await eventually(() => expect(typesOf(h, run.id)).toContain('step_started'));
    const cancelled = await h.send(runCancel, { run_id: run.id, reason: 'changed my mind' });
    expect(cancelled.status).toBe('cancelled');
    await eventually(() => expect(announced).toEqual([run.id]));
    await expect(h.send(reportStepCompleted, { run_id: run.id, step_id: 'plan', attempt: 1, attempt_id: 'late', outputs: { plan: 'late' } }))
      .resolves.toEqual({ accepted: false });
    await eventually(() => expect(typesOf(h, run.id)).toContain('run_cancelled'));
    await new Promise((r) => setTimeout(r, 300));
    expect(typesOf(h, run.id)).toEqual(['run_created', 'step_queued', 'step_started', 'step_cancelled', 'run_cancelled']);
    await expect(h.send(runGet, { run_id: run.id })).resolves.toMatchObject({ status: 'cancelled', outputs: {} });
    for (const r of release.splice(0)) r();
    await sub.stop();

    // Restart from the start queues the first step again, as a new attempt.
    hangAll = false;
    await h.send(runRestart, { run_id: run.id, from_start: true });
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).not.toBe('pending'), 20_000);
    await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('completed'), 20_000)
      .catch((error: unknown) => { throw new Error(`${String(error)}\n${JSON.stringify(h.eventsOf(run.id).map((e) => [e.type, e.data.step_id, e.data.error]))}`); });
    expect(h.jobs.filter((j) => j.run_id === run.id).map((j) => `${j.step_id}#${j.attempt}`)).toEqual(['plan#1', 'plan#2', 'implement#1', 'review#1']);
  });

  it('rejects bad input without changing anything', async () => {
    // Let the events of the earlier runs finish arriving, so any new one would be ours.
    let eventsBefore = -1;
    while (eventsBefore !== h.events.length) {
      eventsBefore = h.events.length;
      await new Promise((r) => setTimeout(r, 300));
    }
    const before = await h.send(runList, {});
    await expect(h.send(runCreate, { pipeline_id: 'no-such-pipeline', task_description: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.send(runCreate, { pipeline_id: 'review-flow' } as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(h.send(runGet, { run_id: 'no-such-run' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.send(runCancel, { run_id: 'no-such-run' })).rejects.toBeInstanceOf(NotFoundError);
    await new Promise((r) => setTimeout(r, 200));
    expect((await h.send(runList, {})).total).toBe(before.total);
    expect(h.events.length).toBe(eventsBefore);
  });
});
