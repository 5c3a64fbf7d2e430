import type { Job, Subscription } from '@cadre/bus';
import { LlmError } from '@cadre/llm';
import { CadreError, STEP_QUEUE, StepJob } from '@cadre/proto';
import { enabledTools } from '../catalog/agent-state';
import type { AgentsContext } from '../context';
import { memoryLessons } from '../tools/memory';
import { listenForCancels, type RunCancels } from './cancels';
import { createOutputStream } from './output-stream';
import { createStepReporter } from './report';
import { runStepLoop, type StepOutcome, type StepPlan } from './run-step';
import { createStepEvents, type ActivityKind } from './step-events';

/** Starts the agent executor: takes step jobs from the work queue, `concurrency` at a time. */
export async function startExecutor(ctx: AgentsContext): Promise<Subscription> {
  const cancels = listenForCancels(ctx.bus);
  let worker: Subscription;
  try {
    worker = await ctx.bus.workQueue(STEP_QUEUE).process((job) => handleJob(ctx, cancels, job), {
      concurrency: ctx.config.AGENTS_CONCURRENCY,
      ackWaitMs: ctx.config.AGENTS_JOB_ACK_WAIT_MS,
      maxAttempts: ctx.config.AGENTS_JOB_MAX_ATTEMPTS,
    });
  } catch (error) {
    await cancels.subscription.stop();
    throw error;
  }
  return {
    closed: worker.closed,
    // Steps in flight finish (and still hear a cancel) before the cancellations go unheard.
    async stop() {
      await worker.stop();
      await cancels.subscription.stop();
    },
  };
}

/** The model, system prompt and tools of a step: the job's, with the agent's API overrides on top. */
async function planStep(ctx: AgentsContext, job: StepJob): Promise<StepPlan> {
  const { agent, overrides } = await ctx.catalog.forStep(job.agent_id);
  const model = overrides.model ?? job.model;
  const system = overrides.persona ?? (job.system_prompt || agent?.persona || '');
  const declared = [...new Set([...job.tools, ...(agent?.tools ?? [])])];
  const tools = enabledTools(declared, overrides.toolOverrides).filter((name) => ctx.tools.get(name) !== undefined);
  // An agent that recalls is also given its memories most relevant to the step's input, up front.
  const lessons = tools.includes('recall') ? await memoryLessons(ctx.bus, job) : '';
  return { job, model, system: system + lessons, tools };
}

/** Why a model or tool error fails a step, in words for the run's history, and whether another attempt can help. */
function failureOf(error: unknown): { readonly error: string; readonly retryable: boolean } {
  if (error instanceof LlmError) return { error: error.message, retryable: error.reason !== 'auth' && error.reason !== 'bad_request' && error.retryable };
  if (error instanceof CadreError) return { error: error.message, retryable: error.retryable };
  return { error: error instanceof Error ? error.message : String(error), retryable: true };
}

async function handleJob(ctx: AgentsContext, cancels: RunCancels, job: Job): Promise<void> {
  const parsed = StepJob.safeParse(job.json());
  if (!parsed.success) {
    // A job that can never parse would be redelivered forever.
    ctx.logger.error({ jobId: job.jobId, issues: parsed.error.issues }, 'malformed step job');
    await job.term('malformed step job');
    return;
  }
  const step = parsed.data;
  const logger = ctx.logger.child({ run_id: step.run_id, step_id: step.step_id, attempt_id: job.attemptId });
  const cancelled = new AbortController();
  const timedOut = new AbortController();
  const signal = AbortSignal.any([cancelled.signal, timedOut.signal]);
  const unwatch = cancels.watch(step.run_id, () => cancelled.abort(new Error('run cancelled')));
  const timer = setTimeout(() => timedOut.abort(new Error('step timed out')), step.limits.timeout_seconds * 1000);
  const heartbeat = setInterval(() => {
    job.working().catch((err: unknown) => logger.warn({ err }, 'job heartbeat failed'));
  }, Math.max(500, Math.floor(ctx.config.AGENTS_JOB_ACK_WAIT_MS / 3)));
  const reporter = createStepReporter(ctx.bus, step, job.attemptId, ctx.config.AGENTS_REPORT_TIMEOUT_MS);
  const output = createOutputStream({ bus: ctx.bus, job: step, flushMs: ctx.config.AGENTS_OUTPUT_FLUSH_MS, newId: ctx.newId, clock: ctx.clock, logger });
  const events = createStepEvents(ctx.store, step, {
    newId: ctx.newId, clock: ctx.clock, lingerMs: ctx.config.AGENTS_ACTIVITY_LINGER_MS,
    onLingerError: (err) => logger.warn({ err, kind: 'agent_started' }, 'activity line not recorded'),
  });
  // A feed line that cannot be stored is logged, never fails the step.
  const tell = (kind: ActivityKind, message: string) => events.activity(kind, message)
    .catch((err: unknown) => logger.warn({ err, kind }, 'activity line not recorded'));
  const which = `step ${step.step_id} of run ${step.run_id}${step.attempt > 1 ? ` (attempt ${step.attempt})` : ''}`;
  // The step's plan (the agent's overrides: this replica's copy, or read from the store after a
  // change) is made while the runs service takes the start.
  const planning = planStep(ctx, step);
  planning.catch(() => undefined); // awaited below, or dropped with a stale job
  try {
    if (!(await reporter.started())) {
      logger.info({}, 'step moved on before it started; job dropped');
      return;
    }
    // Told once the runs service took the start: a stale attempt says nothing. Held for the step's
    // next append (a tool call, its closing line) or AGENTS_ACTIVITY_LINGER_MS, whichever comes
    // first: the step's appends go one at a time in the order asked, so the line still comes first.
    events.hold('agent_started', `${step.agent_id} started ${which}`);
    let outcome: StepOutcome;
    try {
      const plan = await planning;
      outcome = await runStepLoop(plan, { llm: await ctx.providers.registryFor(plan.model), tools: ctx.tools, output, events, now: ctx.now }, signal);
    } catch (error) {
      if (cancelled.signal.aborted) {
        logger.info({}, 'run cancelled; step abandoned');
        return;
      }
      outcome = timedOut.signal.aborted
        ? { kind: 'failed', error: `the step ran out of time (${step.limits.timeout_seconds} s)`, retryable: true }
        : { kind: 'failed', ...failureOf(error) };
    }
    if (cancelled.signal.aborted) return;
    // The streamed output and the line come before the report, so they precede whatever the report
    // sets off (the next step); the step's model calls not yet in the store go in the line's append.
    // The two are independent (the bus and the store), so they go side by side.
    switch (outcome.kind) {
      case 'completed':
        await Promise.all([output.flush(), tell('agent_completed', `${step.agent_id} completed ${which}`)]);
        await reporter.completed(outcome.outputs);
        break;
      case 'failed':
        logger.info({ error: outcome.error, retryable: outcome.retryable }, 'step failed');
        await Promise.all([output.flush(), tell('agent_failed', `${step.agent_id} failed ${which}: ${outcome.error}`)]);
        await reporter.failed(outcome.error, outcome.retryable);
        break;
    }
  } finally {
    clearTimeout(timer);
    clearInterval(heartbeat);
    unwatch();
    await output.close();
    // A cancelled or stale step still records the model calls it made (their cost is real).
    await events.flush().catch((err: unknown) => logger.warn({ err }, 'model calls of the step not recorded'));
  }
}
