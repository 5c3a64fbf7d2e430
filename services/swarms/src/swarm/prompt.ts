import { taskByKey, type SwarmState, type TaskState } from './state';

/** A task's outputs as text for a dependent's prompt: the `result` text alone, else the outputs as JSON. */
function outputsText(outputs: Readonly<Record<string, unknown>> | undefined): string {
  if (outputs === undefined) return '(no outputs)';
  const keys = Object.keys(outputs);
  if (keys.length === 1 && typeof outputs.result === 'string') return outputs.result;
  return JSON.stringify(outputs, null, 2);
}

/**
 * What the agent is asked for one task: its title and prompt, then what each dependency produced
 * (fan-in: its outputs, or — for an `always_run` task — how it failed), then the swarm's
 * deviation rules.
 */
export function taskPrompt(state: SwarmState, task: TaskState): string {
  const parts = [`# Task ${task.spec.key}: ${task.spec.title}`, task.spec.execution_prompt];
  const dependencies = task.spec.dependencies.map((key) => taskByKey(state, key)).filter((t): t is TaskState => t !== undefined);
  if (dependencies.length > 0) {
    parts.push('## Results of the tasks this one depends on');
    for (const dependency of dependencies) {
      const body = dependency.status === 'completed'
        ? outputsText(dependency.outputs)
        : `(this task ${dependency.status}${dependency.error ?? dependency.skipReason ? `: ${dependency.error ?? dependency.skipReason ?? ''}` : ''})`;
      parts.push(`### ${dependency.spec.key}: ${dependency.spec.title}\n${body}`);
    }
  }
  if (state.deviationRules.trim() !== '') parts.push(`## Deviation rules\n${state.deviationRules}`);
  return parts.join('\n\n');
}
