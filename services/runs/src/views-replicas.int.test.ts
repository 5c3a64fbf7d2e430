import { createEventStore, foldEnvelopes } from '@cadre/eventstore';
import { createEventRegistry, runCreate, runGet, runRestart, type StepJob } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ownPipeline } from './pipelines/spawn';
import { runDecider } from './run/decider';
import type { RunState } from './run/state';
import { startHarness, type Harness } from './test-support/harness';
import { presentHistory, presentSteps } from './view/present';
import { writeRunViews } from './view/sync';

/** JSON with the members of every object in order, so two rows compare by content. */
const canonical = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) =>
  (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));

// A command writes only the read-model rows its events changed. Whatever the interleaving of
// three replicas' commands (retries, loops, restarts) with the projection's writes of states read
// a moment earlier, every run's rows end as the presentation of its last state.
describe('the run read models, written by three replicas and the projection at once', () => {
  let h: Harness;
  const failing = new Set<string>();
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded', replicas: 3 });
    let taken = 0;
    await h.startExecutor(async (job: StepJob) => {
      taken++;
      if (failing.has(job.run_id) && job.step_id !== 'plan' && job.step_id !== 'split') return { kind: 'fail', error: 'always' };
      if (taken % 7 === 0) return { kind: 'fail', error: `failure ${taken}` };
      if (job.step_id === 'review') return { kind: 'complete', outputs: { verdict: taken % 3 === 0 ? 'CHANGES_REQUESTED' : 'APPROVED', comments: `comment ${taken}` } };
      if (job.step_id === 'split') return { kind: 'complete', outputs: { items: 'a\nb\nc' } };
      return { kind: 'complete', outputs: Object.fromEntries(job.outputs.map((name) => [name, `${job.step_id} ${taken}`])) };
    }, 16);
  });
  afterAll(async () => h?.dispose());

  it('end as the presentation of each run\'s last state', async () => {
    const store = await createEventStore({ pool: h.pool, schema: 'runs', registry: createEventRegistry(), migrate: false });
    const load = async (id: string): Promise<RunState> => foldEnvelopes(runDecider, runDecider.initialState, await store.readStream(`run-${id}`));
    const ids: string[] = [];
    for (let i = 0; i < 32; i++) ids.push((await h.send(runCreate, { pipeline_id: i % 2 ? 'review-flow' : 'loop-flow', task_description: `run ${i}` })).id);
    ids.forEach((id, i) => i % 4 === 0 && failing.add(id));
    const ended = async (): Promise<boolean> => {
      for (const id of ids) if (!['completed', 'failed', 'cancelled'].includes((await h.send(runGet, { run_id: id })).status)) return false;
      return true;
    };
    // The projection's write meanwhile, over and over, of a state read now (behind by the time it commits, often).
    let writing = true;
    const projection = (async () => {
      for (let k = 0; writing; k++) {
        const state = await load(ids[k % ids.length]!);
        await writeRunViews(async (text, values) => (await h.pool.query(text, [...values])).rows, 'runs', state, ownPipeline(state));
      }
    })();
    try {
      await eventually(async () => expect(await ended()).toBe(true), 60_000, 200);
      failing.clear();
      let restarted = 0;
      for (const id of ids) restarted += await h.send(runRestart, { run_id: id }).then(() => 1, () => 0);
      expect(restarted).toBeGreaterThan(0);
      await eventually(async () => expect(await ended()).toBe(true), 60_000, 200);
    } finally {
      writing = false;
      await projection;
    }
    const wrong: unknown[] = [];
    let rowsChecked = 0;
    for (const id of ids) {
      const state = await load(id);
      const run = (await h.pool.query<{ version: number }>('select version from runs.run_view where run_id = $1', [id])).rows[0];
      if (run?.version !== state.version) wrong.push({ id, run: run?.version, state: state.version });
      const steps = new Map((await h.pool.query<{ step_id: string; body: unknown }>('select step_id, body from runs.step_view where run_id = $1', [id])).rows
        .map((row) => [row.step_id, canonical(row.body)]));
      for (const step of presentSteps(state, ownPipeline(state))) {
        rowsChecked++;
        if (steps.get(step.step_id) !== canonical(step)) wrong.push({ id, step: step.step_id, row: steps.get(step.step_id), want: step });
      }
      const history = new Map((await h.pool.query<{ step_id: string; attempt: number; body: unknown }>('select step_id, attempt, body from runs.run_history where run_id = $1', [id])).rows
        .map((row) => [`${row.step_id}/${row.attempt}`, canonical(row.body)]));
      for (const entry of presentHistory(state)) {
        rowsChecked++;
        if (history.get(`${entry.step_id}/${entry.attempt}`) !== canonical(entry)) wrong.push({ id, history: `${entry.step_id}/${entry.attempt}`, row: history.get(`${entry.step_id}/${entry.attempt}`), want: entry });
      }
    }
    expect(wrong).toEqual([]);
    expect(rowsChecked).toBeGreaterThan(ids.length * 3);
    // Rows the runs' last commands did not change kept the version they were written at.
    const older = (await h.pool.query<{ n: number }>('select count(*)::int as n from runs.step_view s join runs.run_view r using (run_id) where s.version < r.version')).rows[0];
    expect(older?.n).toBeGreaterThan(0);
  });
});
