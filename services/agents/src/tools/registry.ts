import type { StepJob } from '@cadre/proto';

/** What a tool knows about the step that called it. */
export interface ToolContext {
  readonly job: StepJob;
  readonly toolCallId: string;
  /** Aborted when the step is cancelled or runs out of time. */
  readonly signal: AbortSignal;
}

/**
 * A tool agents may call. `parameters` is the JSON Schema of its arguments; `run` returns what
 * the model reads back (a string as is, anything else as JSON). Throwing reports an error result
 * to the model, which may try again.
 */
export interface AgentTool {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  run(args: Readonly<Record<string, unknown>>, ctx: ToolContext): Promise<unknown> | unknown;
}

/** The installed tools, by name; later services add theirs with `register`. */
export interface ToolRegistry {
  register(tool: AgentTool): void;
  get(name: string): AgentTool | undefined;
  names(): readonly string[];
}

/** Names the executor keeps for step control; no tool may take them. */
export const RESERVED_TOOL_NAMES: readonly string[] = ['complete', 'fail'];

export function createToolRegistry(tools: readonly AgentTool[] = []): ToolRegistry {
  const byName = new Map<string, AgentTool>();
  const registry: ToolRegistry = {
    register(tool) {
      if (RESERVED_TOOL_NAMES.includes(tool.name)) throw new Error(`tool name "${tool.name}" is reserved for step control`);
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) throw new Error(`invalid tool name "${tool.name}"`);
      if (byName.has(tool.name)) throw new Error(`tool "${tool.name}" is registered twice`);
      byName.set(tool.name, tool);
    },
    get: (name) => byName.get(name),
    names: () => [...byName.keys()].sort(),
  };
  for (const tool of tools) registry.register(tool);
  return registry;
}
