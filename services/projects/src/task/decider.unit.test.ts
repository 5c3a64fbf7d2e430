import { deciderSpec } from '@cadre/testing';
import { DEFAULT_WORKFLOW_POLICY, type WorkflowPolicy } from '@cadre/proto';
import { taskDecider, type TaskCommand } from './decider';
import type { TaskEvent } from './state';

const tasks = deciderSpec(taskDecider);
const ref = { project_id: 'p1', task_id: 't1' };
const created: TaskEvent = { type: 'task_created', data: { ...ref, key: 'T-1', title: 'Do it', status: 'backlog' } };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const claim = (holder: string, s: number, ttlSeconds?: number): TaskCommand => ({ kind: 'claim', holder, now: at(s), ttlSeconds });
const policy = DEFAULT_WORKFLOW_POLICY;

describe('task decisions', () => {
  it('gives a claim to one holder: another is refused naming the holder, the holder renews', () => {
    const claimed = tasks.given([created]).when(claim('agent:a', 0)).then([
      { type: 'task_claimed', data: { ...ref, holder: 'agent:a', claimed_at: at(0).toISOString(), expires_at: null } },
    ]);
    const spec = tasks.given([created, ...claimed.events]);
    expect(() => taskDecider.decide(claim('agent:b', 1), spec.state)).toThrow(/claimed by agent:a/);
    spec.when(claim('agent:b', 1)).thenThrows('task_claimed');
    spec.when(claim('agent:a', 1)).thenMatch([{ type: 'task_claimed', data: { holder: 'agent:a' } }]);
    spec.when({ kind: 'release', holder: 'agent:b', now: at(1) }).thenThrows('task_not_claimed');
    spec.when({ kind: 'release', holder: undefined, now: at(1) }).thenMatch([{ type: 'task_claim_released', data: { holder: 'agent:a', reason: 'released' } }]);
  });

  it('lets a claim expire: after its time another claimant wins and the old claim is released as expired', () => {
    const spec = tasks.given([created]).givenCommands([claim('agent:a', 0, 30)]);
    spec.when(claim('agent:b', 29)).thenThrows('task_claimed');
    // The sweeper releases only a claim past its time.
    spec.when({ kind: 'release', holder: undefined, now: at(29), onlyExpired: true }).then([]);
    spec.when({ kind: 'release', holder: undefined, now: at(30), onlyExpired: true }).thenMatch([{ type: 'task_claim_released', data: { reason: 'expired' } }]);
    spec.when(claim('agent:b', 30)).thenMatch([
      { type: 'task_claim_released', data: { holder: 'agent:a', reason: 'expired' } },
      { type: 'task_claimed', data: { holder: 'agent:b', expires_at: null } },
    ]);
  });

  it('moves only along the workflow, names the allowed moves, and keeps human moves for humans', () => {
    const move = (to: string, human = true, p: WorkflowPolicy = policy): TaskCommand => ({ kind: 'transition', to, policy: p, human });
    expect(() => taskDecider.decide(move('done'), tasks.given([created]).state)).toThrow(/allowed: ready, in_progress/);
    tasks.given([created]).when(move('done')).thenThrows('transition_not_allowed');
    tasks.given([created]).when(move('ready')).then([{ type: 'task_transitioned', data: { ...ref, from: 'backlog', to: 'ready', cause: 'manual' } }]);
    const inReview = tasks.given([created]).givenCommands([move('in_progress'), move('review')]);
    inReview.when(move('done', false)).thenThrows('forbidden');
    inReview.when(move('done', true)).thenMatch([{ type: 'task_transitioned', data: { from: 'review', to: 'done' } }]);
    // The policy given with the command decides: a narrower one refuses what the default allowed.
    const narrow: WorkflowPolicy = { ...policy, transitions: policy.transitions.filter((t) => !(t.from === 'backlog' && t.to === 'ready')) };
    tasks.given([created]).when(move('ready', true, narrow)).thenThrows('transition_not_allowed');
  });

  it('starts a run once at a time, and the run end makes the automatic move once', () => {
    const start: TaskCommand = { kind: 'start_execution', runId: 'r1', pipelineId: 'pipe', policy };
    const started = tasks.given([created]).when(start).then([
      { type: 'task_execution_started', data: { ...ref, run_id: 'r1', pipeline_id: 'pipe' } },
      { type: 'task_transitioned', data: { ...ref, from: 'backlog', to: 'in_progress', cause: 'execution_started', run_id: 'r1' } },
    ]);
    const running = tasks.given([created, ...started.events]);
    running.when({ ...start, runId: 'r2' }).thenThrows('task_running');
    running.when({ kind: 'run_finished', runId: 'other', outcome: 'complete', policy }).then([]).thenResult('unknown_run');
    const done = running.when({ kind: 'run_finished', runId: 'r1', outcome: 'complete', policy }).then([
      { type: 'task_execution_finished', data: { ...ref, run_id: 'r1', outcome: 'complete' } },
      { type: 'task_transitioned', data: { ...ref, from: 'in_progress', to: 'review', cause: 'run_complete', run_id: 'r1' } },
    ]);
    tasks.given([created, ...started.events, ...done.events]).when({ kind: 'run_finished', runId: 'r1', outcome: 'complete', policy }).then([]);
    running.when({ kind: 'run_finished', runId: 'r1', outcome: 'failed', policy })
      .thenMatch([{ type: 'task_execution_finished' }, { type: 'task_transitioned', data: { to: 'blocked', cause: 'run_failed' } }]);
  });
});
