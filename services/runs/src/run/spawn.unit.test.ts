import { deciderSpec } from '@cadre/testing';
import { spawnPipeline } from '../pipelines/spawn';
import type { RunCommand } from './decide';
import { runDecider, type RunRequest } from './decider';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const spawn = { agent_id: 'dev', model: 'dry-run/echo', timeout_seconds: 30 };
const pipeline = spawnPipeline(spawn);
const run = deciderSpec(runDecider);
const req = (command: RunCommand): RunRequest => ({ command, pipeline, now: NOW });
const create: RunCommand = { kind: 'create', runId: 'r1', pipelineId: 'spawn', taskDescription: 'do it', swarmId: 'sw1', spawn };
const started: RunCommand = { kind: 'step_started', stepId: 'execute', attempt: 1, attemptId: 'a1', agentId: 'dev' };

describe('spawned runs', () => {
  it('are one step of the agent with the prompt as input, and every event names the swarm', () => {
    run.when(req(create)).thenMatch([
      { type: 'run_created', data: { run_id: 'r1', pipeline_id: 'spawn', swarm_id: 'sw1', spawn: { agent_id: 'dev', model: 'dry-run/echo', timeout_seconds: 30 } } },
      { type: 'step_queued', data: { step_id: 'execute', agent_id: 'dev', timeout_seconds: 30, swarm_id: 'sw1' } },
    ]);
    run.givenCommands([req(create), req(started)])
      .when(req({ kind: 'step_completed', stepId: 'execute', attempt: 1, attemptId: 'a1', outputs: { result: 'done' } }))
      .thenMatch([{ type: 'step_complete', data: { swarm_id: 'sw1' } }, { type: 'run_complete', data: { outputs: { execute: { result: 'done' } }, swarm_id: 'sw1' } }]);
    expect(pipeline.steps).toEqual([expect.objectContaining({ id: 'execute', agent: 'dev', input: '{{task_description}}', outputs: ['result'], model: 'dry-run/echo' })]);
    expect(pipeline.defaults).toMatchObject({ maxRetries: 0, timeoutSeconds: 30 });
  });

  it('fail at the first failure (the caller retries) saying whether another attempt could help', () => {
    const running = run.givenCommands([req(create), req(started)]);
    running.when(req({ kind: 'step_failed', stepId: 'execute', attempt: 1, attemptId: 'a1', error: 'overloaded', retryable: true }))
      .thenMatch([{ type: 'step_failed' }, { type: 'run_failed', data: { retryable: true, swarm_id: 'sw1' } }]);
    running.when(req({ kind: 'step_failed', stepId: 'execute', attempt: 1, attemptId: 'a1', error: 'bad key', retryable: false }))
      .thenMatch([{ type: 'step_failed' }, { type: 'run_failed', data: { retryable: false } }]);
  });
});
