import { createEventStore } from '@cadre/eventstore';
import { createEventRegistry, runCreate, runGet, type StepJob } from '@cadre/proto';
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

  it('dispatches a step whose replica died between committing step_queued and enqueueing its job', async () => {
    // What that replica left behind: the events committed, no job on the queue. Only the
    // dispatcher's consumer of the relayed step_queued can get the run going.
    const store = await createEventStore({ pool: h.pool, schema: 'runs', registry: createEventRegistry(), migrate: false });
    const runId = 'orphaned-run-1';
    await store.append(`run-${runId}`, 'no_stream', [
      { type: 'run_created', data: { run_id: runId, pipeline_id: 'review-flow', task_description: 'left behind', created_by: 'user:u-1' } },
      { type: 'step_queued', data: { run_id: runId, step_id: 'plan', agent_id: 'dev', attempt: 1, timeout_seconds: 60 } },
    ], { subjectScope: runId });
    await eventually(async () => expect((await h.send(runGet, { run_id: runId })).status).toBe('completed'), 30_000, 100);
    expect(h.jobs.filter((j) => j.run_id === runId).map((j) => `${j.step_id}#${j.attempt}`))
      .toEqual(['plan#1', 'implement#1', 'review#1', 'implement#2', 'review#2']);
    // The job carries the run's creator, so its model calls count in that user's usage.
    expect(h.jobs.find((j) => j.run_id === runId)?.user_id).toBe('u-1');
  });
});
