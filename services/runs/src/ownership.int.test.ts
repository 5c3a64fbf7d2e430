import {
  ForbiddenError, NotFoundError, UnauthenticatedError, runCancel, runCreate, runGet, runHistory, runList, runRestart, stepGet, stepList, stepOutput,
  type RunView, type StepJob,
} from '@cadre/proto';
import { call } from '@cadre/runtime';
import { eventually } from '@cadre/testing';
import { ADMIN, ALICE, BOB, startHarness, type Harness, type Script } from './test-support/harness';

const finish: Script = async (job: StepJob) => ({ kind: 'complete', outputs: { result: `done ${job.step_id}` } });

describe('who may see and act on a run', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
    await h.startExecutor(finish);
  });
  afterAll(async () => h?.dispose());

  it('is its creator or an admin: another member hears of it what they would of a run that does not exist', async () => {
    const alices = await h.send(runCreate, { pipeline_id: 'slow-flow', task_description: 'alice\'s work' }, ALICE);
    const bobs = await h.send(runCreate, { pipeline_id: 'slow-flow', task_description: 'bob\'s work' }, BOB);
    for (const id of [alices.id, bobs.id]) {
      await eventually(async () => expect((await h.send(runGet, { run_id: id })).status).toBe('completed'), 20_000);
    }
    const missing = { run_id: 'no-such-run' };
    const notFoundOf = async (attempt: () => Promise<unknown>) => {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      return (error as NotFoundError).message.replace(/'[^']*'/, "'…'");
    };
    const before = await h.send(runGet, { run_id: alices.id }, ALICE);
    // Bob reads, cancels and restarts Alice's run as if it did not exist — the same answer, word for word.
    const unknown = await notFoundOf(() => h.send(runGet, missing, BOB));
    for (const attempt of [
      () => h.send(runGet, { run_id: alices.id }, BOB),
      () => h.send(stepList, { run_id: alices.id }, BOB),
      () => h.send(stepGet, { run_id: alices.id, step_id: 'only' }, BOB),
      () => h.send(stepOutput, { run_id: alices.id, step_id: 'only' }, BOB),
      () => h.send(runCancel, { run_id: alices.id }, BOB),
      () => h.send(runRestart, { run_id: alices.id, from_start: true }, BOB),
    ]) expect(await notFoundOf(attempt)).toBe(unknown);
    // Nothing changed: Alice's run is as it was.
    expect(await h.send(runGet, { run_id: alices.id }, ALICE)).toEqual(before);
    expect(h.eventsOf(alices.id).map((e) => e.type)).not.toContain('run_restarted');

    // Each member lists their own runs; the admin everyone's.
    const ids = async (principal = ADMIN) => (await h.send(runList, { limit: 100 }, principal)).runs.map((r: RunView) => r.id);
    expect(await ids(ALICE)).toEqual([alices.id]);
    expect(await ids(BOB)).toEqual([bobs.id]);
    expect(await ids(ADMIN)).toEqual(expect.arrayContaining([alices.id, bobs.id]));
    expect((await h.send(runList, { limit: 100 }, ALICE)).total).toBe(1);

    // Alice's own work is unaffected; the admin reaches hers as well.
    await expect(h.send(stepOutput, { run_id: alices.id, step_id: 'only' }, ALICE)).resolves.toMatchObject({ outputs: { result: 'done only' } });
    await expect(h.send(stepList, { run_id: alices.id }, ADMIN)).resolves.toMatchObject({ run_id: alices.id });
    await expect(h.send(runRestart, { run_id: bobs.id, from_start: true }, ALICE)).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.send(runRestart, { run_id: alices.id, from_start: true }, ALICE)).rejects.toThrow(/only a failed or cancelled run can be restarted/);

    // Run history is an internal route: admins and the engine credential.
    await expect(h.send(runHistory, { limit: 10 }, ALICE)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(runHistory, { limit: 10 }, { kind: 'service', role: 'admin', credential_id: 'engine' })).resolves.toMatchObject({ entries: expect.any(Array) });
  });

  it('writes its creator as the owner of every event of the run', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'slow-flow', task_description: 'owned' }, ALICE);
    await eventually(() => expect(h.eventsOf(run.id).map((e) => e.type)).toContain('run_complete'), 20_000);
    const owners = h.events
      .filter((m) => m.subject.endsWith(`.${run.id}`))
      .map((m) => m.json<{ type: string; meta: { owner?: string } }>())
      .filter((e) => e.type !== 'activity')
      .map((e) => [e.type, e.meta.owner]);
    expect(owners.length).toBeGreaterThanOrEqual(5);
    expect(owners.filter(([, owner]) => owner !== 'u-alice')).toEqual([]);
  });

  it('shows nothing to a member credential that is no user\'s, and nothing to a request without a principal', async () => {
    const run = await h.send(runCreate, { pipeline_id: 'slow-flow', task_description: 'anyone?' }, ALICE);
    const nobody = { kind: 'user', role: 'member', credential_id: 'x' } as const;
    await expect(h.send(runGet, { run_id: run.id }, nobody)).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.send(runList, { limit: 10 }, nobody)).rejects.toBeInstanceOf(ForbiddenError);
    // Straight over the bus with no principal at all (the gateway always sends one).
    await expect(call(h.bus, runList, { limit: 10 }, { timeoutMs: 5_000 })).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(call(h.bus, runGet, { run_id: run.id }, { timeoutMs: 5_000 })).rejects.toBeInstanceOf(NotFoundError);
  });
});
