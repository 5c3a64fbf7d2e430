import { z } from 'zod';
import type { Bus } from '@cadre/bus';
import {
  CadreError, SPAWN_STEP_ID, SwarmTaskSpec, ValidationError, runSpawn, scopeFilter, swarmPlan,
} from '@cadre/proto';
import { call as callService, endpoint, type Call } from '@cadre/runtime';
import type { RequestHandler } from '@cadre/bus';
import type { SwarmsContext } from '../context';
import { validateDag } from '../dag/validate';
import { requireAgent } from '../handlers/agent';
import { launchSwarm } from '../handlers/launch';
import { forwardCaller } from '../principal';

type PlanRequest = z.infer<typeof swarmPlan.request>;

/** The outputs the planning step must give: a list of tasks with their dependencies (JSON Schema, the `complete` tool's parameters). */
export function planSchema(maxTasks: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      tasks: {
        type: 'array', minItems: Math.min(2, maxTasks), maxItems: maxTasks,
        items: {
          type: 'object',
          properties: {
            key: { type: 'string', description: 'Short unique key, e.g. "schema" or "api-tests"' },
            title: { type: 'string', description: 'One line saying what the task achieves' },
            execution_prompt: { type: 'string', description: 'Everything an agent needs to do the task on its own; it also receives the outputs of its dependencies' },
            dependencies: { type: 'array', items: { type: 'string' }, default: [], description: 'Keys of the tasks that must complete first' },
          },
          required: ['key', 'title', 'execution_prompt', 'dependencies'],
          additionalProperties: false,
        },
      },
    },
    required: ['tasks'],
    additionalProperties: false,
  };
}

/** What the planning agent is asked. */
export function planPrompt(goal: string, maxTasks: number): string {
  // The goal first: it is what the prompt is about (and what a dry run names its tasks after).
  return [
    goal,
    '',
    '---',
    'Break the goal above into a graph of tasks that AI agents will carry out.',
    `Give between 2 and ${maxTasks} tasks. Each has a short unique key, a title, an execution prompt that says everything needed to do it alone,`,
    'and the keys of the tasks it depends on. A task starts when all its dependencies completed and receives their outputs;',
    'tasks with no dependency between them run in parallel, so depend only on what a task really needs. No cycles.',
    'Finish by calling the complete tool with the tasks.',
  ].join('\n');
}

const RUN_ENDS = new Set(['run_complete', 'run_failed', 'run_cancelled']);

/** Waits for the end of a run on the event stream (from `fromSeq`): its last event's type and data. */
function runEnd(bus: Bus, runId: string, fromSeq: number, timeoutMs: number): Promise<{ type: string; data: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    let done = false;
    let stop: (() => Promise<void>) | undefined;
    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      outcome();
      void stop?.();
    };
    const timer = setTimeout(() => finish(() => reject(new CadreError('timeout', `the planning run ${runId} has not finished after ${timeoutMs} ms; follow it with GET /v1/runs/${runId}`, { run_id: runId }))), timeoutMs);
    bus.events.replay({ fromSeq, filterSubject: scopeFilter(runId) }, (message) => {
      const type = message.subject.split('.')[2] ?? '';
      if (!RUN_ENDS.has(type)) return;
      const envelope = message.json<{ data: Record<string, unknown> }>();
      finish(() => resolve({ type, data: envelope.data }));
    }).then((sub) => {
      stop = () => sub.stop();
      if (done) void sub.stop();
    }, (err: unknown) => finish(() => reject(err instanceof Error ? err : new Error(String(err)))));
  });
}

const PlannedTasks = z.object({ tasks: z.array(SwarmTaskSpec).min(1) });

/**
 * Plan then execute: the agent plans the goal in a spawned run (its `complete` tool takes the
 * task list), the graph it gives is validated exactly as a launch is, and with `execute` the
 * swarm is launched — the reply carries both. On the dry-run model the plan is deterministic.
 */
export async function planGoal(ctx: SwarmsContext, request: PlanRequest, caller: Call): Promise<z.input<typeof swarmPlan.reply>> {
  const agent = await requireAgent(ctx, request.agent_id);
  const runId = ctx.newId();
  const fromSeq = (await ctx.bus.events.lastSeq()) + 1;
  const ended = runEnd(ctx.bus, runId, fromSeq, ctx.config.SWARMS_PLAN_TIMEOUT_MS);
  ended.catch(() => undefined);
  await callService(ctx.bus, runSpawn, {
    run_id: runId, agent_id: request.agent_id, model: request.model ?? agent.model ?? ctx.config.SWARMS_DEFAULT_MODEL,
    prompt: planPrompt(request.goal, request.max_tasks), outputs: ['tasks'], structured_output: planSchema(request.max_tasks),
    timeout_seconds: Math.ceil(ctx.config.SWARMS_PLAN_TIMEOUT_MS / 1000),
  }, { headers: forwardCaller(caller) });
  const end = await ended;
  if (end.type !== 'run_complete') {
    throw new CadreError('unprocessable', `planning failed in run ${runId}: ${typeof end.data.error === 'string' ? end.data.error : end.type}`, { run_id: runId });
  }
  const outputs = (end.data.outputs as Record<string, unknown> | undefined)?.[SPAWN_STEP_ID];
  const parsed = PlannedTasks.safeParse(outputs);
  if (!parsed.success) {
    throw new CadreError('unprocessable', `the planning agent's answer is not a task list (run ${runId})`, { run_id: runId, issues: parsed.error.issues.slice(0, 20) });
  }
  const tasks = parsed.data.tasks.slice(0, request.max_tasks);
  let shape;
  try {
    shape = validateDag(tasks);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new CadreError('unprocessable', `the planning agent proposed an invalid task graph (run ${runId}): ${error.message}`, { run_id: runId, problems: error.details });
  }
  const swarm = request.execute
    ? await launchSwarm(ctx, {
      agent_id: request.agent_id, tasks, max_concurrent: request.max_concurrent, deviation_rules: request.deviation_rules,
      global_timeout_seconds: request.global_timeout_seconds,
    }, caller, request.goal)
    : null;
  return { goal: request.goal, plan_run_id: runId, graph: { tasks, root_tasks: [...shape.rootTasks], max_depth: shape.maxDepth }, swarm };
}

export function planHandlers(ctx: SwarmsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  return [endpoint(swarmPlan, (request, call) => planGoal(ctx, request, call))];
}
