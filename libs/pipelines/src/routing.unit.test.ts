import {
  afterLoop,
  effectiveStepSettings,
  firstStep,
  loopItems,
  loopStepOutputs,
  nextAction,
  parsePipelineObject,
  toLoopItems,
  type LoopPosition,
  type Pipeline,
} from '@cadre/pipelines';
import { loopDefinition, reviewDefinition } from '../test-fixtures/definitions';

const review: Pipeline = parsePipelineObject(reviewDefinition()).pipeline;
const loop: Pipeline = parsePipelineObject(loopDefinition()).pipeline;

describe('pipeline routing', () => {
  it('starts at the first step and follows the steps listed', () => {
    expect(firstStep(review)).toBe('plan');
    expect(nextAction(review, 'plan', { plan: 'p' })).toEqual({ kind: 'goto', step: 'implement' });
    expect(nextAction(review, 'implement', { summary: 's' })).toEqual({ kind: 'goto', step: 'review' });
  });

  it('routes CHANGES_REQUESTED back to implement and completes on APPROVED', () => {
    expect(nextAction(review, 'review', { verdict: 'CHANGES_REQUESTED', comments: 'add tests' })).toEqual({ kind: 'goto', step: 'implement' });
    expect(nextAction(review, 'review', { verdict: 'APPROVED', comments: '' })).toEqual({ kind: 'complete' });
  });

  it('matches values as models decorate them', () => {
    for (const verdict of ['approved', ' **Approved** ', '"APPROVED".', 'Approved!']) {
      expect(nextAction(review, 'review', { verdict })).toEqual({ kind: 'complete' });
    }
    expect(nextAction(review, 'review', { verdict: 'changes requested' })).toEqual({ kind: 'goto', step: 'implement' });
    expect(nextAction(review, 'review', { verdict: 'changes-requested' })).toEqual({ kind: 'goto', step: 'implement' });
  });

  it('falls through to onComplete, or the end, for values no route names', () => {
    expect(nextAction(review, 'review', { verdict: 'MAYBE' })).toEqual({ kind: 'complete' });
    expect(nextAction(review, 'review', {})).toEqual({ kind: 'complete' });
  });

  it('uses the * route for any other value', () => {
    const definition = reviewDefinition();
    const onResult = ((definition.steps as Array<Record<string, unknown>>)[2] as { onResult: Record<string, unknown> }).onResult;
    onResult['*'] = { goto: 'plan' };
    const pipeline = parsePipelineObject(definition).pipeline;
    expect(nextAction(pipeline, 'review', { verdict: 'MAYBE' })).toEqual({ kind: 'goto', step: 'plan' });
    expect(nextAction(pipeline, 'review', { verdict: 'APPROVED' })).toEqual({ kind: 'complete' });
  });

  it('retries with rendered feedback until the step has used its retries', () => {
    const outputs = { verdict: 'UNSURE', comments: 'could go either way' };
    expect(nextAction(review, 'review', outputs)).toEqual({ kind: 'retry', feedback: 'Decide. You said could go either way' });
    expect(nextAction(review, 'review', outputs, { retriesUsed: 1 })).toMatchObject({ kind: 'retry' });
    expect(nextAction(review, 'review', outputs, { retriesUsed: 2 })).toEqual({ kind: 'fail', error: expect.stringContaining('used its 2 retries') });
  });

  it('fails the run with the rendered message', () => {
    expect(nextAction(review, 'review', { verdict: 'BLOCKED', comments: 'no access' })).toEqual({ kind: 'fail', error: 'blocked: no access' });
  });

  it('notifies, then goes on as the step would', () => {
    expect(nextAction(review, 'review', { verdict: 'ESCALATE', comments: 'unclear spec' })).toEqual({
      kind: 'notify', message: 'Needs a human: unclear spec', then: { kind: 'complete' },
    });
    expect(nextAction(review, 'review', { verdict: 'RESTART' })).toEqual({ kind: 'notify', message: 'Starting over', then: { kind: 'goto', step: 'implement' } });
  });

  it('stops routing back into a step that reached maxVisits', () => {
    expect(nextAction(review, 'review', { verdict: 'CHANGES_REQUESTED' }, { visits: { implement: 2 } })).toEqual({ kind: 'goto', step: 'implement' });
    expect(nextAction(review, 'review', { verdict: 'CHANGES_REQUESTED' }, { visits: { implement: 3 } })).toEqual({
      kind: 'fail', error: expect.stringContaining("step 'implement' already ran 3 times"),
    });
  });

  it('renders run values into routing messages', () => {
    const definition = reviewDefinition();
    const onResult = ((definition.steps as Array<Record<string, unknown>>)[2] as { onResult: Record<string, unknown> }).onResult;
    onResult.BLOCKED = { fail: '{{project_name}}: {{steps.plan.outputs.plan}}' };
    const pipeline = parsePipelineObject(definition).pipeline;
    const action = nextAction(pipeline, 'review', { verdict: 'BLOCKED' }, { context: { project_name: 'acme', outputs: { plan: { plan: 'P1' } } } });
    expect(action).toEqual({ kind: 'fail', error: 'acme: P1' });
  });

  it('refuses an unknown step', () => {
    expect(() => nextAction(review, 'deploy', {})).toThrow("pipeline 'review-flow' has no step 'deploy'");
  });
});

describe('pipeline loops', () => {
  const items = [{ title: 'a' }, { title: 'b' }];
  const at = (index: number): LoopPosition => ({ step: 'build', index, count: items.length });

  it('reads the items from the run outputs', () => {
    expect(loopItems(loop, 'build', { breakdown: { items } })).toEqual(items);
    expect(loopItems(loop, 'build', { breakdown: { items: '["x", "y"]' } })).toEqual(['x', 'y']);
    expect(loopItems(loop, 'build', { breakdown: { items: '- first\n- second\n\n3. third' } })).toEqual(['first', 'second', 'third']);
    expect(loopItems(loop, 'build', {})).toEqual([]);
  });

  it('turns any value into a list', () => {
    expect(toLoopItems(undefined)).toEqual([]);
    expect(toLoopItems({ a: 1 })).toEqual([{ a: 1 }]);
    expect(toLoopItems('[not json')).toEqual(['[not json']);
  });

  it('runs the per-item step after each item, then the next item, then onAllComplete', () => {
    expect(nextAction(loop, 'breakdown', { items })).toEqual({ kind: 'goto', step: 'build' });
    expect(nextAction(loop, 'build', { result: 'r' }, { loop: at(0) })).toEqual({ kind: 'goto', step: 'check', loop: at(0) });
    expect(nextAction(loop, 'check', { status: 'OK' }, { loop: at(0) })).toEqual({ kind: 'goto', step: 'build', loop: at(1) });
    expect(nextAction(loop, 'build', { result: 'r' }, { loop: at(1) })).toEqual({ kind: 'goto', step: 'check', loop: at(1) });
    expect(nextAction(loop, 'check', { status: 'OK' }, { loop: at(1) })).toEqual({ kind: 'goto', step: 'wrap' });
    expect(nextAction(loop, 'wrap', { report: 'done' })).toEqual({ kind: 'complete' });
  });

  it('redoes the same item when the per-item step routes back into the loop', () => {
    expect(nextAction(loop, 'check', { status: 'FAILED' }, { loop: at(0) })).toEqual({ kind: 'goto', step: 'build', loop: at(0) });
  });

  it('leaves the loop when a route goes outside it', () => {
    expect(nextAction(loop, 'check', { status: 'ABORT' }, { loop: at(0) })).toEqual({ kind: 'goto', step: 'wrap' });
  });

  it('goes straight to onAllComplete for an empty list', () => {
    expect(afterLoop(loop, 'build')).toEqual({ kind: 'goto', step: 'wrap' });
  });

  it('refuses a loop step without its loop position', () => {
    expect(() => nextAction(loop, 'build', { result: 'r' })).toThrow('pass options.loop');
    expect(() => nextAction(loop, 'wrap', {}, { loop: at(0) })).toThrow("not part of loop 'build'");
  });

  it('hands later steps the outputs of every item', () => {
    expect(loopStepOutputs(loop, 'build', [{ result: 'r1' }, {}, { result: 'r3' }])).toEqual({ result: ['r1', null, 'r3'] });
  });

  it('moves without a per-item step from item to item', () => {
    const definition = loopDefinition();
    const build = (definition.steps as Array<Record<string, unknown>>)[1] as { loop: Record<string, unknown> };
    delete build.loop.onEachComplete;
    (definition.steps as unknown[]).splice(2, 1);
    const pipeline = parsePipelineObject(definition).pipeline;
    expect(nextAction(pipeline, 'build', {}, { loop: at(0) })).toEqual({ kind: 'goto', step: 'build', loop: at(1) });
    expect(nextAction(pipeline, 'build', {}, { loop: at(1) })).toEqual({ kind: 'goto', step: 'wrap' });
  });
});

describe('effective step settings', () => {
  it('takes the step over the agent over the defaults', () => {
    expect(effectiveStepSettings(review, 'implement')).toMatchObject({
      model: 'openai/gpt-4o', modelSource: 'step', timeoutSeconds: 30, maxRetries: 2, maxTurns: 40, temperature: 0.2, maxVisits: 3, agentId: 'dev',
    });
    expect(effectiveStepSettings(review, 'plan')).toMatchObject({ model: 'dry-run/echo', modelSource: 'defaults', timeoutSeconds: 900 });
  });

  it('uses a declared agent model before the defaults', () => {
    const definition = reviewDefinition();
    (definition.agents as Array<Record<string, unknown>>)[1] = { id: 'rev', name: 'Rev', persona: 'p', model: 'anthropic/claude-haiku-4-5', tools: ['read_file'] };
    const settings = effectiveStepSettings(parsePipelineObject(definition).pipeline, 'review');
    expect(settings).toMatchObject({ model: 'anthropic/claude-haiku-4-5', modelSource: 'agent', tools: ['read_file'] });
  });
});
