import { runCreate, runGet, type StepJob } from '@cadre/proto';
import { eventually, watchClientQueries } from '@cadre/testing';
import { startHarness, type Harness, type Script } from './test-support/harness';

const approve: Script = async (job: StepJob) => ({
  kind: 'complete', outputs: job.step_id === 'review' ? { verdict: 'APPROVED', comments: 'ok' } : Object.fromEntries(job.outputs.map((name) => [name, 'done'])),
});

// The replica that appends a run's events writes its read models; the projection of the relayed
// events must pass those over rather than write the same rows again — also for the events of a
// command that queued a step, whose job is enqueued before the command is done.
describe('the run read models projection on NATS', () => {
  let h: Harness;
  let stopWatching = (): void => undefined;
  let projectionReads = 0;
  beforeAll(async () => {
    h = await startHarness({ transport: 'nats' });
    await h.startExecutor(approve);
    // The projection's first statement for an event it applies: the row's version.
    stopWatching = watchClientQueries((text) => {
      if (/^select version from .*run_view where run_id/.test(text)) projectionReads++;
    });
  });
  afterAll(async () => {
    stopWatching();
    await h?.dispose();
  });

  it('passes over every event of runs this replica ran (their rows were written by it)', async () => {
    for (let i = 0; i < 8; i++) {
      const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: `run ${i}` });
      await eventually(async () => expect((await h.send(runGet, { run_id: run.id })).status).toBe('completed'), 10_000);
    }
    // Every relayed event has reached the projection (its position is the stream's end).
    const last = await h.bus.events.lastSeq();
    await eventually(async () => {
      const { rows } = await h.pool.query<{ position: string }>("select position from runs.projection_checkpoints where name = 'run_views'");
      expect(Number(rows[0]?.position ?? 0)).toBeGreaterThanOrEqual(last);
    }, 10_000, 100);
    expect(projectionReads).toBe(0);
  });
});
