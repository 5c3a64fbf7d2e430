import { parseVariable, renderTemplate, templateTags, type TemplateContext } from '@cadre/pipelines';

const context: TemplateContext = {
  task_description: 'Build a todo API',
  human_context: 'Use Postgres',
  project_name: 'todo',
  feedback: 'add tests',
  outputs: { plan: { plan: 'step 1', items: [{ title: 'first' }], meta: { depth: { level: 2 } } } },
  loop: { item: { title: 'first', tags: ['a', 'b'] }, index: 0, count: 3 },
};

describe('template rendering', () => {
  it('fills run values, step outputs and loop values', () => {
    const { text, warnings } = renderTemplate(
      '{{task_description}} / {{ human_context }} / {{project_name}} / {{feedback}} / {{steps.plan.outputs.plan}} / ' +
        '{{loop.item.title}} {{loop.index}} {{loop.number}}/{{loop.count}} {{loop.item.tags.1}} {{steps.plan.outputs.meta.depth.level}}',
      context,
    );
    expect(text).toBe('Build a todo API / Use Postgres / todo / add tests / step 1 / first 0 1/3 b 2');
    expect(warnings).toEqual([]);
  });

  it('writes structures as indented JSON', () => {
    expect(renderTemplate('{{steps.plan.outputs.items}}', context).text).toBe('[\n  {\n    "title": "first"\n  }\n]');
  });

  it('turns missing values into empty text with a warning', () => {
    const { text, warnings } = renderTemplate('a{{steps.review.outputs.comments}}b{{human_context}}c', {});
    expect(text).toBe('abc');
    expect(warnings).toEqual(['{{steps.review.outputs.comments}}: no value', '{{human_context}}: no value']);
  });

  it.each(['constructor', '__proto__', 'prototype', 'steps.plan.outputs.plan.constructor', 'loop.item.__proto__', 'steps.__proto__.outputs.x', 'toString', 'steps.plan.outputs.plan.length'])(
    'never reaches into the object machinery with {{%s}}',
    (expression) => {
      const { text, warnings } = renderTemplate(`[{{${expression}}}]`, context);
      expect(text).toBe('[]');
      expect(warnings).toHaveLength(1);
    },
  );

  it('does not read inherited properties of outputs', () => {
    const outputs = Object.create({ inherited: 'secret' }) as Record<string, unknown>;
    outputs.own = 'ok';
    expect(renderTemplate('{{steps.s.outputs.own}}{{steps.s.outputs.inherited}}', { outputs: { s: outputs } }).text).toBe('ok');
  });

  it('runs nothing: expressions, filters and calls are not variables', () => {
    for (const template of ['{{ 1 + 1 }}', '{{ task_description | upper }}', '{{ process.exit(1) }}', '{{ this }}', "{{ require('fs') }}"]) {
      const { text, warnings } = renderTemplate(template, context);
      expect(text).toBe('');
      expect(warnings).toHaveLength(1);
    }
  });

  it('treats nested braces as text around the innermost tag', () => {
    expect(renderTemplate('{{{project_name}}}', context).text).toBe('{todo}');
    expect(renderTemplate('{{ {{project_name}} }}', context).text).toBe('{{ todo }}');
    expect(renderTemplate('json: {"a": {"b": 1}}', context).text).toBe('json: {"a": {"b": 1}}');
    expect(renderTemplate('open {{ without close', context).text).toBe('open {{ without close');
  });

  it('keeps escaped braces literal', () => {
    expect(renderTemplate('\\{{project_name}} is {{project_name}}', context).text).toBe('{{project_name}} is todo');
  });

  it('never re-scans an inserted value', () => {
    const hostile: TemplateContext = { task_description: '{{project_name}} {{constructor}}', project_name: 'todo' };
    expect(renderTemplate('{{task_description}}', hostile).text).toBe('{{project_name}} {{constructor}}');
  });

  it('renders very long and brace-heavy input', () => {
    // Shapes that make a backtracking scanner quadratic; at this size that would outlast the test timeout.
    const template = `${'{{project_name}} '.repeat(50_000)}${'{'.repeat(200_000)}${'}'.repeat(200_000)}${'{{ '.repeat(100_000)}${' '.repeat(300_000)}}}`;
    const { text, warnings } = renderTemplate(template, context);
    expect(text.startsWith('todo todo ')).toBe(true);
    expect(text.split('todo')).toHaveLength(50_001);
    expect(warnings.length).toBeLessThanOrEqual(2);
  });

  it('renders a very long value whole', () => {
    const long = 'x'.repeat(2_000_000);
    expect(renderTemplate('<{{task_description}}>', { task_description: long }).text).toHaveLength(long.length + 2);
  });
});

describe('template variables', () => {
  it('parses every kind of reference', () => {
    expect(parseVariable('task_description')).toEqual({ kind: 'run', name: 'task_description' });
    expect(parseVariable('steps.plan.outputs.items.0.title')).toEqual({ kind: 'step_output', step: 'plan', output: 'items', path: ['0', 'title'] });
    expect(parseVariable('loop.item')).toEqual({ kind: 'loop_item', path: [] });
    expect(parseVariable('loop.count')).toEqual({ kind: 'loop_position', name: 'count' });
    expect(parseVariable('steps.plan.plan')).toMatchObject({ kind: 'unknown' });
    expect(parseVariable('loop.index.x')).toMatchObject({ kind: 'unknown' });
  });

  it('lists the tags of a template', () => {
    expect(templateTags('a {{ x }} b {{steps.s.outputs.o}}').map((tag) => tag.expression)).toEqual(['x', 'steps.s.outputs.o']);
  });
});
