/** Small definitions the unit tests start from; each test breaks or routes a copy. */
export function reviewDefinition(): Record<string, unknown> {
  return {
    id: 'review-flow',
    name: 'Review flow',
    description: 'plan, implement, review',
    defaults: { model: 'dry-run/echo', maxRetries: 2, maxVisits: 3 },
    agents: [
      { id: 'dev', name: 'Dev', persona: 'You write code.' },
      { id: 'rev', name: 'Rev', persona: 'You review code.' },
    ],
    steps: [
      { id: 'plan', agent: 'dev', input: 'Plan {{task_description}} for {{project_name}}', outputs: ['plan'] },
      {
        id: 'implement',
        agent: 'dev',
        input: 'Do {{steps.plan.outputs.plan}}. Comments: {{steps.review.outputs.comments}} {{feedback}}',
        outputs: ['summary'],
        model: 'openai/gpt-4o',
        timeoutSeconds: 30,
      },
      {
        id: 'review',
        agent: 'rev',
        input: 'Review {{steps.implement.outputs.summary}}',
        outputs: ['verdict', 'comments'],
        onResult: {
          output: 'verdict',
          APPROVED: { goto: '$end' },
          CHANGES_REQUESTED: { goto: 'implement' },
          BLOCKED: { fail: 'blocked: {{steps.review.outputs.comments}}' },
          UNSURE: { retry: true, feedback: 'Decide. You said {{steps.review.outputs.comments}}' },
          ESCALATE: { notify: 'Needs a human: {{steps.review.outputs.comments}}' },
          RESTART: { notify: 'Starting over', goto: 'implement' },
        },
      },
    ],
  };
}

/** Breakdown, a loop with a per-item check, and a closing step. */
export function loopDefinition(): Record<string, unknown> {
  return {
    id: 'loop-flow',
    name: 'Loop flow',
    defaults: { model: 'dry-run/echo' },
    agents: [{ id: 'dev', name: 'Dev', persona: 'You work.' }],
    steps: [
      { id: 'breakdown', agent: 'dev', input: '{{task_description}}', outputs: ['items'] },
      {
        id: 'build',
        agent: 'dev',
        input: 'Item {{loop.number}}/{{loop.count}}: {{loop.item.title}}',
        outputs: ['result'],
        loop: { over: '{{steps.breakdown.outputs.items}}', onEachComplete: 'check', onAllComplete: 'wrap' },
      },
      {
        id: 'check',
        agent: 'dev',
        input: 'Check {{steps.build.outputs.result}} for {{loop.item.title}}',
        outputs: ['status'],
        onResult: { FAILED: { goto: 'build' }, ABORT: { goto: 'wrap' } },
      },
      { id: 'wrap', agent: 'dev', input: 'Wrap up {{steps.build.outputs.result}}', outputs: ['report'] },
    ],
  };
}
