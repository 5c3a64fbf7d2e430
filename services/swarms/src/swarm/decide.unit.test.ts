import { ConflictError, type SwarmTaskSpec } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import { backoffDelay, type SwarmCommand, type SwarmRequest } from './decide';
import { swarmDecider } from './decider';
import { runningCount, taskByKey } from './state';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(NOW.getTime() + ms);
const BACKOFF = { baseMs: 1_000, maxMs: 60_000 };

const swarm = deciderSpec(swarmDecider);
const req = (command: SwarmCommand, now = NOW, jitter = 0.5): SwarmRequest => ({ command, now, jitter, backoff: BACKOFF });
const given = (...commands: Array<SwarmCommand | [SwarmCommand, Date]>) =>
  swarm.givenCommands(commands.map((c) => (Array.isArray(c) ? req(c[0], c[1]) : req(c))));

const task = (key: string, dependencies: string[] = [], extra: Partial<SwarmTaskSpec> = {}): SwarmTaskSpec =>
  ({ key, title: `Task ${key}`, execution_prompt: `do ${key}`, dependencies, ...extra });
const create = (tasks: SwarmTaskSpec[], maxConcurrent = 3, globalTimeoutSeconds = 600): SwarmCommand => ({
  kind: 'create', swarmId: 's1', agentId: 'dev', model: 'dry-run/echo', tasks, maxConcurrent, deviationRules: '',
  globalTimeoutSeconds, rootTasks: tasks.filter((t) => t.dependencies.length === 0).map((t) => t.key), maxDepth: 3, createdBy: 'user:u1',
});
const diamond = [task('A'), task('B', ['A']), task('C', ['A']), task('D', ['B', 'C'])];
const run = (key: 'A' | 'B' | 'C' | 'D', index: number, attempt = 1) => ({ key, runId: `s1-t${index}-a${attempt}` });
const done = (r: { runId: string }, result = 'ok'): SwarmCommand => ({ kind: 'run_finished', runId: r.runId, outcome: { kind: 'completed', outputs: { result } } });
const failed = (r: { runId: string }, retryable: boolean, error = 'boom'): SwarmCommand => ({ kind: 'run_finished', runId: r.runId, outcome: { kind: 'failed', error, retryable } });
const started = (events: readonly { type: string; data: object }[]) => events.filter((e) => e.type === 'swarm_task_started').map((e) => (e.data as { task_key: string }).task_key);

describe('swarm decisions', () => {
  it('creates a swarm and starts its root tasks in the same decision', () => {
    swarm.when(req(create(diamond))).thenMatch([
      { type: 'swarm_created', data: { swarm_id: 's1', deadline: at(600_000).toISOString(), created_by: 'user:u1' } },
      { type: 'swarm_task_started', data: { task_key: 'A', run_id: 's1-t0-a1', attempt: 1, agent_id: 'dev' } },
    ]);
    given(create(diamond)).when(req(create(diamond))).thenThrows(ConflictError);
  });

  it('starts a task the moment its last dependency completes (fan-in), both branches at once', () => {
    given(create(diamond)).when(req(done(run('A', 0)))).thenMatch([
      { type: 'swarm_task_complete', data: { task_key: 'A', outputs: { result: 'ok' } } },
      { type: 'swarm_task_started', data: { task_key: 'B' } },
      { type: 'swarm_task_started', data: { task_key: 'C' } },
    ]);
    const afterB = given(create(diamond), done(run('A', 0)), done(run('B', 1)));
    expect(taskByKey(afterB.state, 'D')?.status).toBe('pending');
    afterB.when(req(done(run('C', 2)))).thenMatch([{ type: 'swarm_task_complete', data: { task_key: 'C' } }, { type: 'swarm_task_started', data: { task_key: 'D' } }]);
    given(create(diamond), done(run('A', 0)), done(run('B', 1)), done(run('C', 2))).when(req(done(run('D', 3), 'final')))
      .thenMatch([{ type: 'swarm_task_complete' }, { type: 'swarm_completed', data: { summary: { total_tasks: 4, completed: 4, failed: 0 } } }]);
  });

  it('never runs more than max_concurrent tasks: a completion frees exactly one slot', () => {
    const wide = Array.from({ length: 10 }, (_, i) => task(`t${i}`));
    const first = swarm.when(req(create(wide, 3))).thenMatch([{ type: 'swarm_created' }, {}, {}, {}]);
    expect(started(first.events)).toEqual(['t0', 't1', 't2']);
    const next = given(create(wide, 3)).when(req(done({ runId: 's1-t1-a1' })));
    expect(started(next.thenMatch([{ type: 'swarm_task_complete' }, { type: 'swarm_task_started' }]).events)).toEqual(['t3']);
    expect(runningCount(given(create(wide, 3), done({ runId: 's1-t1-a1' })).state)).toBe(3);
  });

  it('decides several run results at once: both branches complete and the join starts in one append', () => {
    const results = [run('B', 1), { runId: 'stale' }, run('C', 2)].map((r) => ({ runId: r.runId, outcome: { kind: 'completed' as const, outputs: { result: 'x' } } }));
    given(create(diamond), done(run('A', 0))).when(req({ kind: 'runs_finished', results })).thenMatch([
      { type: 'swarm_task_complete', data: { task_key: 'B' } },
      { type: 'swarm_task_complete', data: { task_key: 'C' } },
      { type: 'swarm_task_started', data: { task_key: 'D' } },
    ]).thenResult(true);
    given(create(diamond)).when(req({ kind: 'runs_finished', results: [{ runId: 'stale', outcome: { kind: 'cancelled', reason: '' } }] })).then([]).thenResult(false);
  });

  it('records a run result once: a redelivery or a stale run changes nothing', () => {
    given(create(diamond), done(run('A', 0))).when(req(done(run('A', 0)))).then([]).thenResult(false);
    given(create(diamond)).when(req(done({ runId: 'someone-else' }))).then([]).thenResult(false);
  });

  it('retries a retryable failure after an exponential backoff with jitter, then starts the next attempt when due', () => {
    const one = [task('A', [], { max_retries: 2 })];
    given(create(one)).when(req(failed({ runId: 's1-t0-a1' }, true), NOW, 0)).thenMatch([
      { type: 'swarm_task_retrying', data: { task_key: 'A', attempt: 1, error: 'boom', delay_ms: 500, retry_at: at(500).toISOString() } },
    ]);
    const retrying = given(create(one), [failed({ runId: 's1-t0-a1' }, true), NOW]);
    retrying.when(req({ kind: 'tick' }, at(100))).then([]).thenResult(false);
    const second = given(create(one), [failed({ runId: 's1-t0-a1' }, true), NOW], [{ kind: 'tick' }, at(2_000)]);
    expect(taskByKey(second.state, 'A')).toMatchObject({ status: 'running', attempts: 2, runIds: ['s1-t0-a1', 's1-t0-a2'] });
    second.when(req(failed({ runId: 's1-t0-a2' }, true), at(3_000), 1)).thenMatch([{ type: 'swarm_task_retrying', data: { attempt: 2, delay_ms: 2_000 } }]);
    expect([0, 1, 2, 3, 10].map((n) => backoffDelay(BACKOFF, n, 1))).toEqual([1_000, 2_000, 4_000, 8_000, 60_000]);
    expect(backoffDelay(BACKOFF, 2, 0)).toBe(2_000);
  });

  it('fails a task for good on a non-retryable error or when its retries are used up, and skips its dependents', () => {
    given(create(diamond)).when(req(failed(run('A', 0), false, 'bad key'))).thenMatch([
      { type: 'swarm_task_failed', data: { task_key: 'A', error: 'bad key', retryable: false } },
      { type: 'swarm_task_skipped', data: { task_key: 'B', reason: "dependency 'A' failed", dependency: 'A' } },
      { type: 'swarm_task_skipped', data: { task_key: 'C' } },
      { type: 'swarm_task_skipped', data: { task_key: 'D', reason: "dependency 'B' skipped" } },
      { type: 'swarm_failed', data: { error: "1 task failed ('A'), 3 skipped", summary: { completed: 0, failed: 1, skipped: 3 } } },
    ]);
    const noRetries = [task('A', [], { max_retries: 0 })];
    given(create(noRetries)).when(req(failed({ runId: 's1-t0-a1' }, true))).thenMatch([{ type: 'swarm_task_failed', data: { retryable: true } }, { type: 'swarm_failed' }]);
  });

  it('runs an always_run task after its dependency failed', () => {
    const tasks = [task('A'), task('report', ['A'], { always_run: true })];
    given(create(tasks)).when(req(failed({ runId: 's1-t0-a1' }, false))).thenMatch([
      { type: 'swarm_task_failed' }, { type: 'swarm_task_started', data: { task_key: 'report' } },
    ]);
  });

  it('cancels: running tasks are cancelled with their runs named, nothing more starts, a second cancel changes nothing', () => {
    const running = given(create(diamond), done(run('A', 0)));
    running.when(req({ kind: 'cancel', reason: 'stop' })).thenMatch([
      { type: 'swarm_cancelled', data: { run_ids: ['s1-t1-a1', 's1-t2-a1'], reason: 'stop', summary: { completed: 1, cancelled: 3 } } },
    ]);
    const cancelled = given(create(diamond), done(run('A', 0)), { kind: 'cancel' });
    cancelled.when(req(done(run('B', 1)))).then([]).thenResult(false);
    cancelled.when(req({ kind: 'cancel' })).then([]).thenResult(false);
    given(create(diamond), done(run('A', 0)), done(run('B', 1)), done(run('C', 2)), done(run('D', 3))).when(req({ kind: 'cancel' })).thenThrows(ConflictError);
  });

  it('retries a finished swarm: its cancelled tasks run again and completed outputs stay', () => {
    const cancelled = given(create(diamond), done(run('A', 0)), { kind: 'cancel' });
    const retried = cancelled.when(req({ kind: 'retry' }, at(10_000))).thenMatch([
      { type: 'swarm_retried', data: { tasks: ['B', 'C', 'D'], deadline: at(610_000).toISOString() } },
      { type: 'swarm_task_started', data: { task_key: 'B', run_id: 's1-t1-a2', attempt: 2 } },
      { type: 'swarm_task_started', data: { task_key: 'C', run_id: 's1-t2-a2' } },
    ]);
    expect(taskByKey(retried.state, 'A')).toMatchObject({ status: 'completed', outputs: { result: 'ok' } });
    given(create(diamond)).when(req({ kind: 'retry' })).thenThrows(ConflictError);
  });

  it('fails the swarm at its global timeout: running tasks fail, the rest are skipped', () => {
    const running = given(create(diamond, 3, 60), done(run('A', 0)));
    running.when(req({ kind: 'tick' }, at(30_000))).then([]);
    running.when(req({ kind: 'tick' }, at(60_000))).thenMatch([
      { type: 'swarm_task_failed', data: { task_key: 'B', retryable: false } },
      { type: 'swarm_task_failed', data: { task_key: 'C' } },
      { type: 'swarm_task_skipped', data: { task_key: 'D', reason: 'the swarm ran out of time' } },
      { type: 'swarm_failed', data: { error: "the swarm's global timeout of 60 s was reached" } },
    ]);
  });
});
