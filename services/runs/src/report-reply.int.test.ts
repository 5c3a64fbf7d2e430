import type { PoolClient } from 'pg';
import { reportStepStarted, runCancel, runCreate, runList } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { startHarness, type Harness } from './test-support/harness';

/** Settles with 'pending' when `promise` has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

// The read models' row of a run is held locked by the test, so their write waits: what a reply
// waits for shows.
describe('replies and the read models', () => {
  let h: Harness;
  let lock: PoolClient | undefined;
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
  });
  afterAll(async () => {
    await lock?.query('rollback').catch(() => undefined);
    lock?.release();
    await h?.dispose();
  });
  const hold = async (runId: string): Promise<void> => {
    lock = await h.pool.connect();
    await lock.query('begin');
    await lock.query('select 1 from runs.run_view where run_id = $1 for update', [runId]);
  };
  const release = async (): Promise<void> => {
    await lock?.query('rollback');
    lock?.release();
    lock = undefined;
  };
  const statusListed = async (runId: string) => (await h.send(runList, {})).runs.find((r) => r.id === runId)?.status;

  it("answers an executor's report without waiting for the read models, and a caller's command only once they are written", async () => {
    const run = await h.send(runCreate, { pipeline_id: 'review-flow', task_description: 'reports' });
    await hold(run.id);
    // The executor is told at once that its start was taken; the row follows once it can.
    const started = h.send(reportStepStarted, { run_id: run.id, step_id: 'plan', attempt: 1, attempt_id: 'a1', agent_id: 'dev' });
    await expect(within(started, 3_000)).resolves.toEqual({ accepted: true });
    await release();
    await eventually(async () => expect(await statusListed(run.id)).toBe('running'));

    // A user's cancel is answered once the list shows it.
    await hold(run.id);
    const cancelled = h.send(runCancel, { run_id: run.id });
    await expect(within(cancelled, 500)).resolves.toBe('pending');
    await release();
    await expect(cancelled).resolves.toMatchObject({ status: 'cancelled' });
    expect(await statusListed(run.id)).toBe('cancelled');
  });
});
