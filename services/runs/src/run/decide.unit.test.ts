import type { Pipeline } from '@cadre/pipelines';
import { ConflictError, NotFoundError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import { loopPipeline, reviewPipeline } from '../test-support/pipelines';
import type { RunCommand } from './decide';
import { runDecider, type RunRequest } from './decider';
import { ownPipeline } from '../pipelines/spawn';
import { foldRun } from './state';
import type { TimedRunEvent } from './events';

const NOW = new Date('2025-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(NOW.getTime() + seconds * 1000);

const run = deciderSpec(runDecider);
const req = (command: RunCommand, now = NOW, pipeline: Pipeline = reviewPipeline): RunRequest => ({ command, pipeline, now });
/** A run of the review pipeline after these commands. */
const given = (...commands: RunCommand[]) => run.givenCommands(commands.map((command) => req(command)));

const create: RunCommand = { kind: 'create', runId: 'r1', pipelineId: 'review-flow', taskDescription: 'build it' };
const started = (stepId: string, attempt = 1): RunCommand => ({ kind: 'step_started', stepId, attempt, attemptId: `a-${stepId}-${attempt}`, agentId: 'dev' });
const completed = (stepId: string, outputs: Record<string, unknown>, attempt = 1, attemptId = `a-${stepId}-${attempt}`): RunCommand =>
  ({ kind: 'step_completed', stepId, attempt, attemptId, outputs });
const failed = (stepId: string, attempt = 1): RunCommand => ({ kind: 'step_failed', stepId, attempt, attemptId: `f-${attempt}`, error: 'boom', retryable: true });
const inReview = [create, started('plan'), completed('plan', { plan: 'p' }), started('implement'), completed('implement', { summary: 's' }), started('review')];

describe('run decisions', () => {
  it('creates a run and queues its first step in the same decision', () => {
    run.when(req(create)).thenMatch([
      { type: 'run_created', occurredAt: NOW.toISOString() },
      { type: 'step_queued', data: { run_id: 'r1', step_id: 'plan', agent_id: 'dev', attempt: 1, timeout_seconds: 60 } },
    ]);
  });

  it('records that a run asks for its final answer to be spoken, and says nothing when it does not', () => {
    run.when(req({ ...create, speak: true })).thenMatch([{ type: 'run_created', data: { run_id: 'r1', speak: true } }, { type: 'step_queued' }]);
    const quiet = run.when(req(create)).thenMatch([{ type: 'run_created' }, { type: 'step_queued' }]).events[0] as { data: Record<string, unknown> };
    expect(quiet.data).not.toHaveProperty('speak');
  });

  it('carries the pipeline it was created with, which the run then follows; a run created before that follows the registry', () => {
    const events = run.when(req(create)).thenMatch([{ type: 'run_created', data: { pipeline: { id: 'review-flow' } } }, { type: 'step_queued' }]).events;
    const state = foldRun(events as TimedRunEvent[]);
    expect(ownPipeline(state)).toEqual(reviewPipeline);
    const { pipeline: _snapshot, ...legacy } = (events[0] as { data: Record<string, unknown> }).data;
    expect(ownPipeline(foldRun([{ type: 'run_created', data: legacy, occurredAt: NOW.toISOString() } as TimedRunEvent]))).toBeUndefined();
    // A spawned run's pipeline is made from its spawn fields: no snapshot.
    const spawn = { agent_id: 'dev', model: 'dry-run/echo', timeout_seconds: 30 };
    const spawned = run.when(req({ ...create, spawn })).thenMatch([{ type: 'run_created' }, { type: 'step_queued' }]).events[0] as { data: Record<string, unknown> };
    expect(spawned.data).not.toHaveProperty('pipeline');
  });

  it('refuses an unknown pipeline and a second create', () => {
    run.when({ command: create, pipeline: undefined, now: NOW }).thenThrows(NotFoundError);
    given(create).when(req(create)).thenThrows(ConflictError);
  });

  it('moves to the next step on completion and routes back on CHANGES_REQUESTED', () => {
    given(...inReview).when(req(completed('review', { verdict: 'changes requested', comments: 'more tests' })))
      .thenMatch([{ type: 'step_complete' }, { type: 'step_queued', data: { step_id: 'implement', attempt: 2 } }]);
  });

  it('completes the run on APPROVED with every step output', () => {
    given(...inReview).when(req(completed('review', { verdict: 'APPROVED', comments: '' })))
      .thenMatch([{ type: 'step_complete' }, { type: 'run_complete', data: { outputs: { plan: { plan: 'p' }, implement: { summary: 's' } } } }]);
  });

  it('ignores a duplicate start and a duplicate completion', () => {
    given(create, started('plan')).when(req(started('plan'))).then([]).thenResult(true);
    given(create, started('plan'), completed('plan', { plan: 'p' })).when(req(completed('plan', { plan: 'other' }, 1, 'another-delivery')))
      .then([]).thenResult(false);
  });

  it('hands a running step to the worker that got the job redelivered after a crash', () => {
    const running = given(create, started('plan'));
    const redelivered: RunCommand = { kind: 'step_started', stepId: 'plan', attempt: 1, attemptId: 'second-delivery', agentId: 'dev' };
    const takeover = running.when(req(redelivered)).thenMatch([{ type: 'step_started', data: { attempt: 1, attempt_id: 'second-delivery' } }]).thenResult(true);
    // Whichever delivery completes first is recorded; the other's report is then stale.
    const done = running.given(takeover.events).givenCommands([req(completed('plan', { plan: 'p' }, 1, 'second-delivery'))]);
    done.when(req(completed('plan', { plan: 'late' }, 1, 'a-plan-1'))).then([]).thenResult(false);
  });

  it('retries a failed step with the failure as feedback, then fails the run after maxRetries', () => {
    let running = given(create, started('plan'));
    for (let attempt = 1; attempt <= 2; attempt++) {
      const failure = running.when(req(failed('plan', attempt))).thenMatch([
        { type: 'step_failed' }, { type: 'step_retrying' },
        { type: 'step_queued', data: { attempt: attempt + 1, feedback: expect.stringContaining('Previous attempt failed: boom') } },
      ]);
      running = running.given(failure.events).givenCommands([req(started('plan', attempt + 1))]);
    }
    running.when(req(failed('plan', 3))).thenMatch([{ type: 'step_failed' }, { type: 'run_failed' }]);
  });

  it('fails a running step past its timeout, and not before', () => {
    const running = given(create, started('plan'));
    running.when(req({ kind: 'timeout', stepId: 'plan', attempt: 1 }, at(59))).then([]);
    running.when(req({ kind: 'timeout', stepId: 'plan', attempt: 1 }, at(60))).thenMatch([
      { type: 'step_failed', data: { timed_out: true, error: 'timed out after 60 s' } }, { type: 'step_retrying' }, { type: 'step_queued' },
    ]);
  });

  it('cancels the running step with the run, and ignores the reports that follow', () => {
    const running = given(create, started('plan'));
    const { events } = running.when(req({ kind: 'cancel' })).thenMatch([{ type: 'step_cancelled' }, { type: 'run_cancelled' }]);
    const cancelled = running.given(events);
    cancelled.when(req(completed('plan', { plan: 'late' }))).then([]).thenResult(false);
    cancelled.when(req({ kind: 'cancel' })).then([]);
  });

  it('restarts at the failed step keeping earlier outputs, or from the start', () => {
    const stopped = given(create, started('plan'), completed('plan', { plan: 'p' }), started('implement'), { kind: 'cancel' });
    const resumed = stopped.when(req({ kind: 'restart', fromStart: false }))
      .thenMatch([{ type: 'run_restarted' }, { type: 'step_queued', data: { step_id: 'implement', attempt: 2 } }]);
    expect(resumed.state.outputs).toEqual({ plan: { plan: 'p' } });
    const fresh = stopped.when(req({ kind: 'restart', fromStart: true }))
      .thenMatch([{ type: 'run_restarted' }, { type: 'step_queued', data: { step_id: 'plan', attempt: 2 } }]);
    expect(fresh.state.outputs).toEqual({});
    given(create).when(req({ kind: 'restart', fromStart: false })).thenThrows(ConflictError);
  });

  it('runs a loop step once per item, then the step after the loop', () => {
    const loop = (command: RunCommand) => req(command, NOW, loopPipeline);
    const loopCreate: RunCommand = { ...create, pipelineId: 'loop-flow' } as RunCommand;
    let state = run.givenCommands([loop(loopCreate), loop(completed('split', { items: '- a\n- b' }))]);
    expect(state.state.attempts.at(-1)).toMatchObject({ stepId: 'each', loop: { step: 'each', index: 0, count: 2 } });
    state = state.givenCommands([loop({ ...completed('each', { done: 'A' }), loopIndex: 0 } as RunCommand)]);
    expect(state.state.attempts.at(-1)).toMatchObject({ stepId: 'each', attempt: 2, loop: { index: 1 } });
    state.when(loop(completed('each', { done: 'B' }, 2))).thenMatch([{ type: 'step_complete' }, { type: 'step_queued', data: { step_id: 'sum' } }]);
  });
});
