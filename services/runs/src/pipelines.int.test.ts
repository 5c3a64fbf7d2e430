import { ConflictError, NotFoundError, ValidationError, pipelineCreate, pipelineDelete, pipelineGet, pipelineList, pipelineUpdate, runCreate } from '@cadre/proto';
import { startHarness, type Harness } from './test-support/harness';

const YAML = `
id: tiny
name: Tiny
defaults: { model: dry-run/echo }
agents: [{ id: a, name: A, persona: p }]
steps:
  - { id: one, agent: a, input: "{{task_description}}", outputs: [x] }
`;

describe('pipelines API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.dispose());

  it('lists built-in and folder pipelines with their origin', async () => {
    const { pipelines } = await h.send(pipelineList, {});
    const origins = Object.fromEntries(pipelines.map((p) => [p.id, p.origin]));
    expect(origins).toMatchObject({ demo: 'builtin', engineering: 'builtin', planning: 'builtin', 'review-flow': 'folder' });
    await expect(h.send(pipelineGet, { pipeline_id: 'demo' })).resolves.toMatchObject({ id: 'demo', steps: expect.any(Array) });
    await expect(h.send(pipelineGet, { pipeline_id: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creates from YAML, replaces, runs and deletes an API pipeline', async () => {
    await expect(h.send(pipelineCreate, { yaml: YAML })).resolves.toMatchObject({ id: 'tiny', origin: 'api' });
    await expect(h.send(pipelineCreate, { yaml: YAML })).rejects.toBeInstanceOf(ConflictError);
    await expect(h.send(runCreate, { pipeline_id: 'tiny', task_description: 't' })).resolves.toMatchObject({ current_step_id: 'one' });
    await expect(h.send(pipelineUpdate, { pipeline_id: 'tiny', yaml: YAML.replace('name: Tiny', 'name: Tinier') })).resolves.toMatchObject({ name: 'Tinier' });
    await expect(h.send(pipelineDelete, { pipeline_id: 'tiny' })).resolves.toEqual({ deleted: true });
    await expect(h.send(pipelineGet, { pipeline_id: 'tiny' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses to delete built-in and folder pipelines', async () => {
    await expect(h.send(pipelineDelete, { pipeline_id: 'demo' })).rejects.toBeInstanceOf(ConflictError);
    await expect(h.send(pipelineDelete, { pipeline_id: 'review-flow' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('rejects a malformed pipeline naming the step and the field', async () => {
    const error = await h.send(pipelineCreate, { yaml: YAML.replace('agent: a', 'agent: ghost') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(JSON.stringify((error as ValidationError).details)).toMatch(/"step":"one".*"field":"agent"|"field":"agent".*"step":"one"/);
    await expect(h.send(pipelineCreate, { id: 'json-one', name: 'J', defaults: { model: 'dry-run/echo' }, steps: [] })).rejects.toBeInstanceOf(ValidationError);
  });
});
