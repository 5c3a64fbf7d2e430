import { runCreate, runGet, type StepJob } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ALICE, startHarness, type Harness } from './test-support/harness';

describe('step jobs', () => {
  let h: Harness;
  const seen: StepJob[] = [];
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
    await h.startExecutor(async (job: StepJob) => {
      seen.push(job);
      return { kind: 'complete', outputs: { result: 'done' } };
    });
  });
  afterAll(async () => h?.dispose());

  it("carry the run's project (the code graph tools read its graph), and none for a run of no project", async () => {
    const project = '5b0c2a43-6f2e-4d3b-9a57-2f1f0f6c9a10';
    const withProject = await h.send(runCreate, { pipeline_id: 'slow-flow', task_description: 'a', project_id: project }, ALICE);
    const without = await h.send(runCreate, { pipeline_id: 'slow-flow', task_description: 'b' }, ALICE);
    for (const id of [withProject.id, without.id]) {
      await eventually(async () => expect((await h.send(runGet, { run_id: id })).status).toBe('completed'), 20_000);
    }
    expect(seen.filter((job) => job.run_id === withProject.id).map((job) => job.project_id)).toEqual([project]);
    expect(seen.filter((job) => job.run_id === without.id).map((job) => job.project_id)).toEqual([undefined]);
  });
});
