import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { NotFoundError, ValidationError } from '@cadre/proto';
import {
  loadPipelineDir,
  loadPipelineFile,
  loadPipelines,
  parsePipeline,
  pipelineJsonSchema,
  type PipelineProblem,
} from '@cadre/pipelines';
import { reviewDefinition } from '../test-fixtures/definitions';

describe('pipeline loading', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cadre-pipelines-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML and JSON bodies to the same pipeline', () => {
    const definition = reviewDefinition();
    const fromYaml = parsePipeline(stringify(definition), { format: 'yaml', source: 'api' });
    const fromJson = parsePipeline(JSON.stringify(definition), { format: 'json', source: 'api' });
    expect(fromYaml.pipeline).toEqual(fromJson.pipeline);
    // Without a format the YAML reader takes JSON as well.
    expect(parsePipeline(JSON.stringify(definition)).pipeline).toEqual(fromJson.pipeline);
  });

  it('round-trips: a parsed pipeline parses again to itself', () => {
    const { pipeline } = parsePipeline(stringify(reviewDefinition()));
    expect(parsePipeline(JSON.stringify(pipeline)).pipeline).toEqual(pipeline);
  });

  it('keeps a numeric YAML version as text', () => {
    const text = `${stringify(reviewDefinition())}version: 1.5\n`;
    expect(parsePipeline(text).pipeline.version).toBe('1.5');
  });

  it('names a bad JSON body', () => {
    expect(() => parsePipeline('{"id": ', { format: 'json', source: 'api' })).toThrow('api: not valid JSON');
  });

  it('reports the bad file of a folder by name and loads the good one', async () => {
    await writeFile(join(dir, 'good.yml'), stringify(reviewDefinition()));
    const bad = reviewDefinition();
    (bad as { id: string }).id = 'bad-flow';
    ((bad.steps as Array<Record<string, unknown>>)[1] as Record<string, unknown>).agent = 'ghost';
    await writeFile(join(dir, 'bad.json'), JSON.stringify(bad));
    await writeFile(join(dir, 'notes.txt'), 'not a pipeline');
    const { pipelines, errors } = await loadPipelineDir(dir);
    expect(pipelines.map((loaded) => loaded.pipeline.id)).toEqual(['review-flow']);
    expect(pipelines[0]?.source).toBe(join(dir, 'good.yml'));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.file).toBe(join(dir, 'bad.json'));
    expect(errors[0]?.error).toBeInstanceOf(ValidationError);
    expect(errors[0]?.error.message).toContain(`${join(dir, 'bad.json')}: step 'implement', field agent: unknown agent 'ghost'`);
    expect((errors[0]?.error.details as PipelineProblem[])[0]).toMatchObject({ file: join(dir, 'bad.json'), step: 'implement', field: 'agent' });
  });

  it('refuses a second file with an id already taken', async () => {
    await writeFile(join(dir, 'a.yml'), stringify(reviewDefinition()));
    await writeFile(join(dir, 'b.yaml'), stringify(reviewDefinition()));
    const { pipelines, errors } = await loadPipelineDir(dir);
    expect(pipelines).toHaveLength(1);
    expect(errors[0]?.error.message).toContain("pipeline id 'review-flow' is already defined in a.yml");
  });

  it('names a missing file and a missing folder', async () => {
    await expect(loadPipelineFile(join(dir, 'nope.yml'))).rejects.toThrow(`${join(dir, 'nope.yml')}: cannot read the file`);
    await expect(loadPipelineDir(join(dir, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lets a custom pipeline replace the built-in with its id', async () => {
    const custom = reviewDefinition();
    Object.assign(custom, { id: 'engineering', name: 'Our engineering' });
    await writeFile(join(dir, 'engineering.yml'), stringify(custom));
    await writeFile(join(dir, 'extra.yml'), stringify(reviewDefinition()));
    const { pipelines, errors, overridden } = await loadPipelines({ dir });
    expect(errors).toEqual([]);
    expect(overridden).toEqual(['engineering']);
    expect(pipelines.map((loaded) => loaded.pipeline.id)).toEqual(['demo', 'engineering', 'planning', 'review-flow']);
    const engineering = pipelines.find((loaded) => loaded.pipeline.id === 'engineering');
    expect(engineering).toMatchObject({ builtin: false, pipeline: { name: 'Our engineering' } });
  });

  it('loads only the folder when built-ins are off', async () => {
    await writeFile(join(dir, 'extra.yml'), stringify(reviewDefinition()));
    const { pipelines } = await loadPipelines({ builtins: false, dir });
    expect(pipelines.map((loaded) => loaded.pipeline.id)).toEqual(['review-flow']);
  });

  it('describes the format as JSON Schema', () => {
    const schema = pipelineJsonSchema();
    expect(schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['id', 'name', 'defaults', 'steps']) });
    expect(JSON.stringify(schema)).toContain('onAllComplete');
  });

  it('accepts the example of the documentation', async () => {
    const doc = await readFile(join(__dirname, '..', '..', '..', 'docs', 'pipelines.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const { pipeline, warnings } = parsePipeline(example, { source: 'docs/pipelines.md' });
    expect(pipeline.id).toBe('code-review');
    expect(warnings).toEqual([]);
  });
});
