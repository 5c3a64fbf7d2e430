import type { LlmMessage, LlmRegistry, LlmThinkingBlock, LlmToolCall, LlmToolSpec } from '@cadre/llm';
import type { StepJob } from '@cadre/proto';
import type { ToolRegistry } from '../tools/registry';
import { completeTool, failTool, missingOutputs, outputNames } from '../tools/step-control';
import type { OutputStream } from './output-stream';
import type { StepEvents } from './step-events';

/** How a step ended, as the runs service is told. */
export type StepOutcome =
  | { readonly kind: 'completed'; readonly outputs: Readonly<Record<string, unknown>> }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean };

/** What the loop needs for one step, prepared by the worker. */
export interface StepPlan {
  readonly job: StepJob;
  readonly model: string;
  readonly system: string;
  /** Tools offered besides `complete` and `fail` (installed and enabled for the agent). */
  readonly tools: readonly string[];
}

export interface StepLoopDeps {
  readonly llm: LlmRegistry;
  readonly tools: ToolRegistry;
  readonly output: OutputStream;
  readonly events: StepEvents;
  /** Monotonic milliseconds (tool durations). */
  readonly now: () => number;
}

interface Turn {
  readonly text: string;
  readonly calls: readonly LlmToolCall[];
  readonly thinking: readonly LlmThinkingBlock[];
}

function firstMessage(job: StepJob): string {
  return job.feedback ? `${job.input}\n\n## Feedback on the previous attempt\n\n${job.feedback}` : job.input;
}

/** Text answer → outputs: JSON when a structured output is expected and the text is an object, else the first output name. */
function outputsFromText(job: StepJob, text: string): Readonly<Record<string, unknown>> {
  if (job.structured_output) {
    try {
      const parsed: unknown = JSON.parse(text.trim().replace(/^```(?:json)?\s*|\s*```$/g, ''));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // Not JSON: the text itself is the output.
    }
  }
  return { [outputNames(job)[0] ?? 'result']: text };
}

const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value) ?? 'null');

/**
 * The agent loop of one step: a streamed model call, then the tools it asked for, their results
 * fed back, until it calls `complete` or `fail`, answers without a tool call, or runs out of
 * turns. Aborting `signal` ends it with the model call's `aborted` error.
 */
export async function runStepLoop(plan: StepPlan, deps: StepLoopDeps, signal: AbortSignal): Promise<StepOutcome> {
  const { job } = plan;
  const offered: LlmToolSpec[] = plan.tools.flatMap((name) => {
    const tool = deps.tools.get(name);
    return tool ? [{ name: tool.name, description: tool.description, parameters: tool.parameters }] : [];
  });
  const specs = [...offered, completeTool(job), failTool];
  const messages: LlmMessage[] = [{ role: 'user', content: firstMessage(job) }];
  for (let turn = 1; turn <= job.limits.max_turns; turn++) {
    const result = await modelTurn(plan, deps, specs, messages, signal);
    messages.push({
      role: 'assistant', content: result.text,
      ...(result.calls.length > 0 ? { toolCalls: result.calls } : {}), ...(result.thinking.length > 0 ? { thinking: result.thinking } : {}),
    });
    if (result.calls.length === 0) {
      if (result.text.trim() === '') return { kind: 'failed', error: 'the model answered with no text and no tool call', retryable: true };
      return { kind: 'completed', outputs: outputsFromText(job, result.text) };
    }
    for (const call of result.calls) {
      const control = stepControl(job, call);
      if (control) {
        if (control.kind !== 'retry') return control;
        messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content: control.message, isError: true });
        continue;
      }
      messages.push(await runTool(plan, deps, call, signal));
    }
  }
  return { kind: 'failed', error: `the agent used all ${job.limits.max_turns} turns without completing the step`, retryable: true };
}

async function modelTurn(plan: StepPlan, deps: StepLoopDeps, tools: readonly LlmToolSpec[], messages: readonly LlmMessage[], signal: AbortSignal): Promise<Turn> {
  const { job } = plan;
  let text = '';
  const calls: LlmToolCall[] = [];
  const thinking: LlmThinkingBlock[] = [];
  // The call's record goes in the step's next append (a tool call, or the line that ends the step),
  // which the worker awaits before it reports the step: llm_call events are in the store by then.
  const stream = deps.llm.stream({
    model: plan.model, system: plan.system, messages, tools,
    ...(job.limits.temperature === undefined ? {} : { temperature: job.limits.temperature }),
    ...(job.limits.max_tokens === undefined ? {} : { maxTokens: job.limits.max_tokens }),
  }, { signal, onCall: (record) => deps.events.llmCall(record) });
  for await (const event of stream) {
    switch (event.type) {
      case 'text_delta':
        text += event.text;
        deps.output.push('agent_output', event.text);
        break;
      case 'thinking_delta':
        deps.output.push('agent_thinking', event.text);
        break;
      case 'thinking_block':
        thinking.push(event.block);
        break;
      case 'tool_call':
        calls.push(event.call);
        break;
      case 'usage':
      case 'done':
        // Usage and the stop reason reach the llm_call record through the registry's hook.
        break;
    }
  }
  return { text, calls, thinking };
}

type Control = StepOutcome | { readonly kind: 'retry'; readonly message: string };

/** `complete` and `fail` end the step; a `complete` missing outputs goes back to the model instead. */
function stepControl(job: StepJob, call: LlmToolCall): Control | undefined {
  if (call.name === 'fail') return { kind: 'failed', error: `the agent gave up: ${asText(call.args.error ?? 'no reason given')}`, retryable: true };
  if (call.name !== 'complete') return undefined;
  if (call.argsError) return { kind: 'retry', message: `The arguments of complete were not a JSON object (${call.argsError}). Call complete again.` };
  const missing = missingOutputs(job, call.args);
  if (missing.length > 0) return { kind: 'retry', message: `complete is missing the outputs: ${missing.join(', ')}. Call complete again with all of them.` };
  return { kind: 'completed', outputs: call.args };
}

async function runTool(plan: StepPlan, deps: StepLoopDeps, call: LlmToolCall, signal: AbortSignal): Promise<LlmMessage> {
  const reply = (content: string, isError: boolean): LlmMessage => ({ role: 'tool', toolCallId: call.id, toolName: call.name, content, isError });
  const tool = plan.tools.includes(call.name) ? deps.tools.get(call.name) : undefined;
  await deps.events.toolCallStart(call.id, call.name, call.args);
  const started = deps.now();
  let result: unknown;
  let isError = false;
  if (!tool) {
    result = `no tool named "${call.name}" is available to this agent`;
    isError = true;
  } else if (call.argsError) {
    result = `the arguments were not a JSON object: ${call.argsError}`;
    isError = true;
  } else {
    try {
      result = await tool.run(call.args, { job: plan.job, toolCallId: call.id, signal });
    } catch (error) {
      result = error instanceof Error ? error.message : String(error);
      isError = true;
    }
  }
  signal.throwIfAborted();
  await deps.events.toolCallEnd(call.id, call.name, result ?? null, isError, Math.max(0, deps.now() - started));
  return reply(asText(result ?? null), isError);
}
