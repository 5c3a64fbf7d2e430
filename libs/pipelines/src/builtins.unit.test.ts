import {
  builtinPipelines,
  effectiveStepSettings,
  firstStep,
  loopItems,
  nextAction,
  renderTemplate,
  type LoadedPipeline,
  type NextAction,
  type Pipeline,
} from '@cadre/pipelines';

let builtins: readonly LoadedPipeline[];

beforeAll(async () => {
  builtins = await builtinPipelines();
});

function builtin(id: string): Pipeline {
  const found = builtins.find((loaded) => loaded.pipeline.id === id);
  if (found === undefined) throw new Error(`no built-in ${id}`);
  return found.pipeline;
}

/** Walks a run the way the orchestrator will, with scripted outputs per step visit. */
function walk(pipeline: Pipeline, script: Record<string, Array<Record<string, unknown>>>): string[] {
  const visited: string[] = [];
  let step: string | undefined = firstStep(pipeline);
  while (step !== undefined) {
    visited.push(step);
    const outputs = script[step]?.shift() ?? {};
    const action: NextAction = nextAction(pipeline, step, outputs);
    step = action.kind === 'goto' ? action.step : undefined;
    if (action.kind !== 'goto' && action.kind !== 'complete') throw new Error(`unexpected ${action.kind}`);
  }
  return visited;
}

describe('built-in pipelines', () => {
  it('all validate, without warnings', () => {
    expect(builtins.map((loaded) => loaded.pipeline.id)).toEqual(['demo', 'engineering', 'planning']);
    for (const loaded of builtins) expect(loaded).toMatchObject({ builtin: true, warnings: [] });
  });

  it('engineering sends changes back to implement until the review approves', () => {
    const visited = walk(builtin('engineering'), {
      review: [{ verdict: 'CHANGES_REQUESTED', comments: 'add tests' }, { verdict: 'APPROVED', comments: '' }],
    });
    expect(visited).toEqual(['plan', 'implement', 'review', 'implement', 'review']);
  });

  it('engineering retries a review whose verdict is neither value', () => {
    const action = nextAction(builtin('engineering'), 'review', { verdict: 'LGTM', comments: '' });
    expect(action).toEqual({ kind: 'retry', feedback: expect.stringContaining('not "LGTM"') });
  });

  it('engineering shows the review comments to the next implementation', () => {
    const implement = builtin('engineering').steps.find((step) => step.id === 'implement');
    const { text } = renderTemplate(implement?.input ?? '', { task_description: 't', outputs: { review: { comments: 'add tests' } } });
    expect(text).toContain('add tests');
  });

  it('planning loops over the items of the breakdown, then assembles', () => {
    const planning = builtin('planning');
    const items = [{ title: 'a', description: 'A', priority: 'P0' }, { title: 'b', description: 'B', priority: 'P1' }];
    expect(nextAction(planning, 'breakdown', { items, summary: 's' })).toEqual({ kind: 'goto', step: 'detail' });
    expect(loopItems(planning, 'detail', { breakdown: { items } })).toEqual(items);
    expect(nextAction(planning, 'detail', { spec: 'x' }, { loop: { step: 'detail', index: 0, count: 2 } })).toEqual({
      kind: 'goto', step: 'detail', loop: { step: 'detail', index: 1, count: 2 },
    });
    expect(nextAction(planning, 'detail', { spec: 'y' }, { loop: { step: 'detail', index: 1, count: 2 } })).toEqual({ kind: 'goto', step: 'assemble' });
    expect(nextAction(planning, 'assemble', { plan: 'p' })).toEqual({ kind: 'complete' });
  });

  it('demo runs every step on the dry-run model and completes whatever the outputs say', () => {
    const demo = builtin('demo');
    expect(demo.steps).toHaveLength(3);
    for (const step of demo.steps) {
      expect(effectiveStepSettings(demo, step.id).model).toBe('dry-run/echo');
      expect(step.onResult).toBeUndefined();
    }
    expect(walk(demo, { outline: [{ outline: 'APPROVED' }], draft: [{ draft: 'FAIL' }], summary: [{}] })).toEqual(['outline', 'draft', 'summary']);
  });
});
