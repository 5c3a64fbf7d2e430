import { stringify } from 'yaml';
import { ValidationError } from '@cadre/proto';
import { parsePipeline, parsePipelineObject, type PipelineProblem } from '@cadre/pipelines';
import { loopDefinition, reviewDefinition } from '../test-fixtures/definitions';

type Definition = Record<string, unknown>;
type Steps = Array<Record<string, unknown>>;

function steps(definition: Definition): Steps {
  return definition.steps as Steps;
}

function step(definition: Definition, index: number): Record<string, unknown> {
  return steps(definition)[index] as Record<string, unknown>;
}

function review(definition: Definition): Record<string, Record<string, unknown>> {
  return step(definition, 2).onResult as Record<string, Record<string, unknown>>;
}

function rejection(definition: Definition, source = 'broken.yml'): ValidationError {
  try {
    parsePipeline(stringify(definition), { source });
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected the pipeline to be rejected');
}

interface Case {
  readonly name: string;
  readonly base?: () => Definition;
  readonly breakIt: (definition: Definition) => void;
  readonly step?: string;
  readonly field: string;
  readonly message: string;
}

const cases: readonly Case[] = [
  { name: 'a goto to an unknown step', breakIt: (d) => { review(d).APPROVED = { goto: 'done' }; }, step: 'review', field: 'onResult.APPROVED.goto', message: "unknown step 'done'" },
  { name: 'an onComplete to an unknown step', breakIt: (d) => { step(d, 0).onComplete = 'nowhere'; }, step: 'plan', field: 'onComplete', message: "unknown step 'nowhere'" },
  { name: 'a duplicate step id', breakIt: (d) => { step(d, 1).id = 'plan'; }, step: 'plan', field: 'id', message: 'duplicate step id' },
  { name: 'an unknown agent', breakIt: (d) => { step(d, 0).agent = 'ghost'; }, step: 'plan', field: 'agent', message: "unknown agent 'ghost'" },
  { name: 'an unknown template variable', breakIt: (d) => { step(d, 0).input = 'Do {{task}}'; }, step: 'plan', field: 'input', message: '{{task}}: unknown variable' },
  { name: 'an output of a step that cannot run before', breakIt: (d) => { step(d, 0).input = '{{steps.implement.outputs.summary}}'; }, step: 'plan', field: 'input', message: "step 'implement' can never run before step 'plan'" },
  { name: 'an undeclared output', breakIt: (d) => { step(d, 1).input = '{{steps.plan.outputs.nope}}'; }, step: 'implement', field: 'input', message: "step 'plan' declares no output 'nope'" },
  { name: 'a loop variable outside a loop', breakIt: (d) => { step(d, 1).input = 'Do {{loop.item}}'; }, step: 'implement', field: 'input', message: 'loop variables exist only' },
  { name: 'a pure onComplete cycle', breakIt: (d) => { step(d, 1).onComplete = 'plan'; }, step: 'plan', field: 'onComplete', message: 'plan → implement → plan' },
  { name: 'a wrong type', breakIt: (d) => { step(d, 2).maxRetries = 'three'; }, step: 'review', field: 'maxRetries', message: 'expected number' },
  { name: 'a misspelt field', breakIt: (d) => { step(d, 2).onCompleted = 'plan'; }, step: 'review', field: 'onCompleted', message: 'unknown field' },
  { name: 'a model without a provider', breakIt: (d) => { (d.defaults as Definition).model = 'gpt4'; }, field: 'defaults.model', message: 'provider/model' },
  { name: 'routing on an undeclared output', breakIt: (d) => { review(d).output = 'status' as never; }, step: 'review', field: 'onResult.output', message: "declares no output 'status'" },
  { name: 'an action with goto and fail', breakIt: (d) => { review(d).APPROVED = { goto: '$end', fail: 'no' }; }, step: 'review', field: 'onResult.APPROVED', message: 'use one of goto, retry or fail' },
  { name: 'feedback without retry', breakIt: (d) => { review(d).APPROVED = { goto: '$end', feedback: 'x' }; }, step: 'review', field: 'onResult.APPROVED.feedback', message: 'feedback belongs to a retry' },
  { name: 'the same route twice', breakIt: (d) => { review(d)['approved.'] = { goto: '$end' }; }, step: 'review', field: 'onResult.approved.', message: 'are the same value' },
  { name: 'a structured output that is no schema', breakIt: (d) => { step(d, 2).structuredOutput = { type: 'objekt' }; }, step: 'review', field: 'structuredOutput.type', message: 'type "object"' },
  { name: 'a structured output without a declared output', breakIt: (d) => { step(d, 2).structuredOutput = { type: 'object', properties: { verdict: { type: 'string' } } }; }, step: 'review', field: 'structuredOutput.properties', message: "declared output 'comments'" },
  { name: 'a step without id', breakIt: (d) => { delete step(d, 1).id; }, step: '#2', field: 'id', message: 'expected string' },
  { name: 'no steps', breakIt: (d) => { d.steps = []; }, field: 'steps', message: '>=1' },
  { name: 'a loop over an unknown step', base: loopDefinition, breakIt: (d) => { (step(d, 1).loop as Definition).over = '{{steps.nope.outputs.items}}'; }, step: 'build', field: 'loop.over', message: "there is no step 'nope'" },
  { name: 'a loop over a non-reference', base: loopDefinition, breakIt: (d) => { (step(d, 1).loop as Definition).over = 'items'; }, step: 'build', field: 'loop.over', message: 'expected {{steps.<id>.outputs.<name>}}' },
  { name: 'a per-item step but no way out', base: loopDefinition, breakIt: (d) => { delete (step(d, 1).loop as Definition).onAllComplete; }, step: 'build', field: 'loop.onAllComplete', message: 'after the last item' },
  { name: 'nested loops', base: loopDefinition, breakIt: (d) => { step(d, 2).loop = { over: '{{steps.breakdown.outputs.items}}' }; }, step: 'build', field: 'loop.onEachComplete', message: 'nested loops' },
];

describe('pipeline validation', () => {
  it.each(cases)('rejects $name with the file, step and field', ({ base = reviewDefinition, breakIt, step: stepId, field, message }) => {
    const definition = base();
    breakIt(definition);
    const error = rejection(definition);
    expect(error.message).toContain('broken.yml');
    if (stepId !== undefined) expect(error.message).toContain(`step '${stepId}'`);
    expect(error.message).toContain(`field ${field}`);
    expect(error.message).toContain(message);
    const details = error.details as PipelineProblem[];
    expect(details).toContainEqual(expect.objectContaining({ file: 'broken.yml', field, ...(stepId === undefined ? {} : { step: stepId }) }));
  });

  it('accepts the unbroken definitions', () => {
    expect(parsePipelineObject(reviewDefinition()).pipeline.steps).toHaveLength(3);
    expect(parsePipelineObject(loopDefinition()).pipeline.steps).toHaveLength(4);
  });

  it('lists every problem, not only the first', () => {
    const definition = reviewDefinition();
    step(definition, 0).agent = 'ghost';
    step(definition, 1).input = '{{nope}}';
    review(definition).APPROVED = { goto: 'done' };
    const details = rejection(definition).details as PipelineProblem[];
    expect(details.map((d) => `${d.step}:${d.field}`)).toEqual(expect.arrayContaining(['plan:agent', 'implement:input', 'review:onResult.APPROVED.goto']));
  });

  it('lists every schema problem of a document at once', () => {
    const definition = reviewDefinition();
    step(definition, 0).timeoutSeconds = -1;
    step(definition, 2).bogus = true;
    const details = rejection(definition).details as PipelineProblem[];
    expect(details.map((d) => `${d.step}:${d.field}`)).toEqual(expect.arrayContaining(['plan:timeoutSeconds', 'review:bogus']));
  });

  it('points at the line of the problem in YAML', () => {
    const text = stringify(reviewDefinition()).replace('CHANGES_REQUESTED:\n        goto: implement', 'CHANGES_REQUESTED:\n        goto: implemnt');
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('goto: implemnt')) + 1;
    expect(() => parsePipeline(text, { source: 'flow.yml' })).toThrow(`flow.yml:${line}: step 'review', field onResult.CHANGES_REQUESTED.goto`);
  });

  it('accepts agents that Cadre knows although the pipeline does not declare them', () => {
    const definition = reviewDefinition();
    step(definition, 0).agent = 'registry-agent';
    expect(() => parsePipelineObject(definition)).toThrow("unknown agent 'registry-agent'");
    expect(parsePipelineObject(definition, { knownAgents: ['registry-agent'] }).pipeline.steps[0]?.agent).toBe('registry-agent');
  });

  it('warns about steps no route leads to and agents no step uses', () => {
    const definition = reviewDefinition();
    step(definition, 2).onComplete = '$end';
    steps(definition).push({ id: 'orphan', agent: 'dev', input: '{{task_description}}' });
    (definition.agents as Definition[]).push({ id: 'idle', name: 'Idle', persona: 'Nothing.' });
    const { warnings } = parsePipelineObject(definition);
    expect(warnings).toContainEqual(expect.objectContaining({ step: 'orphan', message: expect.stringContaining('no route leads') }));
    expect(warnings).toContainEqual(expect.objectContaining({ agent: 'idle', message: 'no step uses this agent' }));
  });

  it('allows a cycle that goes through onResult', () => {
    // review → implement on CHANGES_REQUESTED, implement → review on complete: legal.
    expect(parsePipelineObject(reviewDefinition()).warnings).toEqual([]);
  });

  it('warns about a route the output enum never produces', () => {
    const definition = reviewDefinition();
    step(definition, 2).structuredOutput = {
      type: 'object',
      properties: { verdict: { type: 'string', enum: ['APPROVED', 'CHANGES_REQUESTED', 'BLOCKED', 'UNSURE', 'ESCALATE'] }, comments: { type: 'string' } },
    };
    const { warnings } = parsePipelineObject(definition);
    expect(warnings).toEqual([expect.objectContaining({ step: 'review', field: 'onResult.RESTART' })]);
  });

  it('refuses a __proto__ key before anything copies it', () => {
    const body = JSON.stringify(reviewDefinition()).replace('"id":"plan"', '"__proto__":{"polluted":true},"id":"plan"');
    expect(() => parsePipeline(body, { format: 'json', source: 'api' })).toThrow(`step 'plan', field __proto__`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parsePipeline('id: x\nsteps:\n  - id: [a\n', { source: 'bad.yml' })).toThrow(/bad\.yml:4: YAML syntax error \(column 1\)/);
  });

  it('refuses YAML that expands aliases without bound', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    expect(() => parsePipeline(bomb, { source: 'bomb.yml' })).toThrow(ValidationError);
  });

  it('refuses definitions over the size limit', () => {
    expect(() => parsePipeline(`# ${'x'.repeat(1024 * 1024)}`, { source: 'big.yml' })).toThrow('larger than');
  });
});
