import { runSnapshots } from './snapshots';
import { initialRunState, type RunState } from './state';

const live = (version: number): RunState => ({ ...initialRunState, exists: true, runId: 'r1', status: 'running', version });

describe('the runs a replica keeps', () => {
  it('keeps a live run at its latest version, forgets it once it ended, and marks a new run id as an empty stream', () => {
    const snapshots = runSnapshots(1024 * 1024);
    snapshots.set('run-r1', { state: live(3), version: 3, lastPosition: 30 });
    snapshots.set('run-r1', { state: live(2), version: 2, lastPosition: 20 });
    expect(snapshots.get('run-r1')?.version).toBe(3);
    snapshots.set('run-r1', { state: { ...live(4), status: 'completed' }, version: 4, lastPosition: 40 });
    expect(snapshots.get('run-r1')).toBeUndefined();
    // A command that committed before the end but stores its state after it does not bring the run back…
    snapshots.set('run-r1', { state: live(3), version: 3, lastPosition: 30 });
    expect(snapshots.get('run-r1')).toBeUndefined();
    // …a restart (a later version) does.
    snapshots.set('run-r1', { state: live(5), version: 5, lastPosition: 50 });
    expect(snapshots.get('run-r1')?.version).toBe(5);
    snapshots.fresh('run-r2');
    expect(snapshots.get('run-r2')).toEqual({ state: initialRunState, version: 0, lastPosition: 0 });
  });

  it('stops speculating when most kept states turn out stale, and starts again when they are current', () => {
    const snapshots = runSnapshots(1024 * 1024);
    expect(snapshots.speculating()).toBe(true);
    // Two in three kept states current (a run's reports mostly on the replica that wrote last): still worth it…
    for (let i = 0; i < 40; i++) snapshots.observe(i % 3 !== 0);
    expect(snapshots.speculating()).toBe(true);
    // …but not with three or more, where most are stale.
    for (let i = 0; i < 40; i++) snapshots.observe(i % 3 === 0);
    expect(snapshots.speculating()).toBe(false);
    // Reading first, it still learns the kept states became current (one replica left).
    for (let i = 0; i < 20; i++) snapshots.observe(true);
    expect(snapshots.speculating()).toBe(true);
  });

  it('drops the least recently used runs past its size', () => {
    const big = { ...live(1), pipelineSnapshot: { steps: 'x'.repeat(10_000) } };
    const snapshots = runSnapshots(50_000);
    for (let i = 0; i < 10; i++) snapshots.set(`run-${i}`, { state: big, version: 1, lastPosition: i });
    expect(snapshots.get('run-0')).toBeUndefined();
    expect(snapshots.get('run-9')).toBeDefined();
  });
});
