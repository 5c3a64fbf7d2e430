import { runCreate, runGet, type StepJob } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { startHarness, type Harness } from './test-support/harness';

describe('two replicas of the runs service on one NATS bus', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport: 'nats', replicas: 2 });
    await h.startExecutor(async (job: StepJob) => {
      switch (job.step_id) {
        case 'plan': return { kind: 'complete', outputs: { plan: 'p' } };
        case 'implement': return { kind: 'complete', outputs: { summary: `v${job.attempt}` } };
        default: return { kind: 'complete', outputs: { verdict: job.attempt === 1 ? 'CHANGES_REQUESTED' : 'APPROVED', comments: 'c' } };
      }
    }, 8);
  });
  afterAll(async () => h?.dispose());

  it('completes 20 runs with every step queued, run and recorded once', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => h.send(runCreate, { pipeline_id: 'review-flow', task_description: `task ${i}` })));
    await eventually(async () => {
      for (const run of runs) expect((await h.send(runGet, { run_id: run.id })).status).toBe('completed');
    }, 60_000, 200);
    await eventually(() => expect(h.events.filter((m) => m.json<{ type: string }>().type === 'run_complete')).toHaveLength(20), 10_000);
    for (const run of runs) {
      const events = h.eventsOf(run.id);
      const keyed = (type: string) => events.filter((e) => e.type === type).map((e) => `${String(e.data.step_id)}#${String(e.data.attempt)}`);
      const expected = ['plan#1', 'implement#1', 'review#1', 'implement#2', 'review#2'];
      expect(keyed('step_queued')).toEqual(expected);
      expect(keyed('step_complete')).toEqual(expected);
      expect(h.jobs.filter((j) => j.run_id === run.id).map((j) => `${j.step_id}#${j.attempt}`)).toEqual(expected);
    }
  });
});
