import type { Pipeline } from '@cadre/pipelines';
import { ConflictError, NotFoundError } from '@cadre/proto';
import { loopPipeline, reviewPipeline } from '../test-support/pipelines';
import { decideRun, type RunCommand } from './decide';
import type { RunEvent } from './events';
import { evolve, initialRunState, type RunState } from './state';

const NOW = new Date('2025-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);

/** Given these commands ran, the run's state (each decision folded in). */
function given(pipeline: Pipeline, commands: readonly RunCommand[], now = NOW): RunState {
  return commands.reduce((state, command) => fold(state, decideRun(state, command, pipeline, now).events, now), initialRunState);
}

function fold(state: RunState, events: readonly RunEvent[], now = NOW): RunState {
  return events.reduce((s, e) => evolve(s, { ...e, occurredAt: now.toISOString() } as Parameters<typeof evolve>[1]), state);
}

const types = (events: readonly RunEvent[]): string[] => events.map((e) => e.type);
const create: RunCommand = { kind: 'create', runId: 'r1', pipelineId: 'review-flow', taskDescription: 'build it' };
const started = (stepId: string, attempt = 1): RunCommand => ({ kind: 'step_started', stepId, attempt, attemptId: `a-${stepId}-${attempt}`, agentId: 'dev' });
const completed = (stepId: string, outputs: Record<string, unknown>, attempt = 1, attemptId = `a-${stepId}-${attempt}`): RunCommand =>
  ({ kind: 'step_completed', stepId, attempt, attemptId, outputs });
const failed = (stepId: string, attempt = 1): RunCommand => ({ kind: 'step_failed', stepId, attempt, attemptId: `f-${attempt}`, error: 'boom', retryable: true });

describe('run decisions', () => {
  it('creates a run and queues its first step in the same decision', () => {
    const { events } = decideRun(initialRunState, create, reviewPipeline, NOW);
    expect(types(events)).toEqual(['run_created', 'step_queued']);
    expect(events[1]?.data).toMatchObject({ run_id: 'r1', step_id: 'plan', agent_id: 'dev', attempt: 1, timeout_seconds: 60 });
  });

  it('refuses an unknown pipeline and a second create', () => {
    expect(() => decideRun(initialRunState, create, undefined, NOW)).toThrow(NotFoundError);
    expect(() => decideRun(given(reviewPipeline, [create]), create, reviewPipeline, NOW)).toThrow(ConflictError);
  });

  it('moves to the next step on completion and routes back on CHANGES_REQUESTED', () => {
    const state = given(reviewPipeline, [create, started('plan'), completed('plan', { plan: 'p' }), started('implement'), completed('implement', { summary: 's' }), started('review')]);
    const { events } = decideRun(state, completed('review', { verdict: 'changes requested', comments: 'more tests' }), reviewPipeline, NOW);
    expect(types(events)).toEqual(['step_complete', 'step_queued']);
    expect(events[1]?.data).toMatchObject({ step_id: 'implement', attempt: 2 });
  });

  it('completes the run on APPROVED with every step output', () => {
    const state = given(reviewPipeline, [create, started('plan'), completed('plan', { plan: 'p' }), started('implement'), completed('implement', { summary: 's' }), started('review')]);
    const { events } = decideRun(state, completed('review', { verdict: 'APPROVED', comments: '' }), reviewPipeline, NOW);
    expect(types(events)).toEqual(['step_complete', 'run_complete']);
    expect(events[1]?.data).toMatchObject({ outputs: { plan: { plan: 'p' }, implement: { summary: 's' } } });
  });

  it('ignores a duplicate start and a duplicate completion', () => {
    const state = given(reviewPipeline, [create, started('plan')]);
    expect(decideRun(state, started('plan'), reviewPipeline, NOW)).toEqual({ events: [], accepted: true });
    const done = given(reviewPipeline, [create, started('plan'), completed('plan', { plan: 'p' })]);
    expect(decideRun(done, completed('plan', { plan: 'other' }, 1, 'another-delivery'), reviewPipeline, NOW)).toEqual({ events: [], accepted: false });
  });

  it('hands a running step to the worker that got the job redelivered after a crash', () => {
    const state = given(reviewPipeline, [create, started('plan')]);
    const redelivered: RunCommand = { kind: 'step_started', stepId: 'plan', attempt: 1, attemptId: 'second-delivery', agentId: 'dev' };
    const { events, accepted } = decideRun(state, redelivered, reviewPipeline, NOW);
    expect(accepted).toBe(true);
    expect(events[0]).toMatchObject({ type: 'step_started', data: { attempt: 1, attempt_id: 'second-delivery' } });
    // Whichever delivery completes first is recorded; the other's report is then stale.
    const done = fold(fold(state, events), decideRun(fold(state, events), completed('plan', { plan: 'p' }, 1, 'second-delivery'), reviewPipeline, NOW).events);
    expect(decideRun(done, completed('plan', { plan: 'late' }, 1, 'a-plan-1'), reviewPipeline, NOW)).toEqual({ events: [], accepted: false });
  });

  it('retries a failed step with the failure as feedback, then fails the run after maxRetries', () => {
    let state = given(reviewPipeline, [create, started('plan')]);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const { events } = decideRun(state, failed('plan', attempt), reviewPipeline, NOW);
      expect(types(events)).toEqual(['step_failed', 'step_retrying', 'step_queued']);
      expect(events[2]?.data).toMatchObject({ attempt: attempt + 1, feedback: expect.stringContaining('Previous attempt failed: boom') });
      state = fold(state, events);
      state = fold(state, decideRun(state, started('plan', attempt + 1), reviewPipeline, NOW).events);
    }
    const { events } = decideRun(state, failed('plan', 3), reviewPipeline, NOW);
    expect(types(events)).toEqual(['step_failed', 'run_failed']);
  });

  it('fails a running step past its timeout, and not before', () => {
    const state = given(reviewPipeline, [create, started('plan')]);
    expect(decideRun(state, { kind: 'timeout', stepId: 'plan', attempt: 1 }, reviewPipeline, at(59)).events).toEqual([]);
    const { events } = decideRun(state, { kind: 'timeout', stepId: 'plan', attempt: 1 }, reviewPipeline, at(60));
    expect(types(events)).toEqual(['step_failed', 'step_retrying', 'step_queued']);
    expect(events[0]?.data).toMatchObject({ timed_out: true, error: 'timed out after 60 s' });
  });

  it('cancels the running step with the run, and ignores the reports that follow', () => {
    const state = given(reviewPipeline, [create, started('plan')]);
    const { events } = decideRun(state, { kind: 'cancel' }, reviewPipeline, NOW);
    expect(types(events)).toEqual(['step_cancelled', 'run_cancelled']);
    const cancelled = fold(state, events);
    expect(decideRun(cancelled, completed('plan', { plan: 'late' }), reviewPipeline, NOW)).toEqual({ events: [], accepted: false });
    expect(decideRun(cancelled, { kind: 'cancel' }, reviewPipeline, NOW).events).toEqual([]);
  });

  it('restarts at the failed step keeping earlier outputs, or from the start', () => {
    const state = given(reviewPipeline, [create, started('plan'), completed('plan', { plan: 'p' }), started('implement'), { kind: 'cancel' }]);
    const resumed = decideRun(state, { kind: 'restart', fromStart: false }, reviewPipeline, NOW);
    expect(types(resumed.events)).toEqual(['run_restarted', 'step_queued']);
    expect(resumed.events[1]?.data).toMatchObject({ step_id: 'implement', attempt: 2 });
    expect(fold(state, resumed.events).outputs).toEqual({ plan: { plan: 'p' } });
    const fresh = decideRun(state, { kind: 'restart', fromStart: true }, reviewPipeline, NOW);
    expect(fresh.events[1]?.data).toMatchObject({ step_id: 'plan', attempt: 2 });
    expect(fold(state, fresh.events).outputs).toEqual({});
    expect(() => decideRun(given(reviewPipeline, [create]), { kind: 'restart', fromStart: false }, reviewPipeline, NOW)).toThrow(ConflictError);
  });

  it('runs a loop step once per item, then the step after the loop', () => {
    const loopCreate: RunCommand = { ...create, pipelineId: 'loop-flow' } as RunCommand;
    let state = given(loopPipeline, [loopCreate, completed('split', { items: '- a\n- b' })]);
    expect(state.attempts.at(-1)).toMatchObject({ stepId: 'each', loop: { step: 'each', index: 0, count: 2 } });
    state = fold(state, decideRun(state, { ...completed('each', { done: 'A' }), loopIndex: 0 } as RunCommand, loopPipeline, NOW).events);
    expect(state.attempts.at(-1)).toMatchObject({ stepId: 'each', attempt: 2, loop: { index: 1 } });
    const { events } = decideRun(state, completed('each', { done: 'B' }, 2), loopPipeline, NOW);
    expect(types(events)).toEqual(['step_complete', 'step_queued']);
    expect(events[1]?.data).toMatchObject({ step_id: 'sum' });
  });
});
