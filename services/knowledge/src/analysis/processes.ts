import { push } from '../graph/multimap';
import type { CodeGraph, GraphNode } from '../graph/model';

export interface ProcessStep {
  readonly node: number;
  /** 1 for the entry point. */
  readonly step: number;
  readonly depth: number;
}

export interface Process {
  readonly id: number;
  readonly name: string;
  readonly entry: number;
  readonly terminal: number;
  readonly type: 'intra_community' | 'cross_community';
  readonly steps: readonly ProcessStep[];
}

export interface ProcessOptions {
  /** Calls under this confidence are not followed. */
  readonly minConfidence: number;
  readonly maxDepth: number;
  readonly maxSteps: number;
  readonly minSteps: number;
  readonly maxProcesses: number;
}

export const PROCESS_DEFAULTS: ProcessOptions = { minConfidence: 0.5, maxDepth: 10, maxSteps: 50, minSteps: 3, maxProcesses: 300 };

/** Names that conventionally start work: mains, handlers, routes, servers, setups. */
const ENTRY_NAME = /^(main|run|start|serve|listen|init|bootstrap|setup|register|handle[A-Z_]?\w*|\w*Handler|on[A-Z]\w*|route\w*|create\w*Server|cli|execute)$/;

/**
 * Processes: from each entry point — a function or method that nothing calls but that calls
 * something, or one with a conventional entry name — the calls it makes followed breadth first
 * (at or over `minConfidence`, up to `maxDepth` calls deep), each symbol once, as numbered steps.
 * Processes of fewer than `minSteps` steps are left out; the largest `maxProcesses` are kept.
 */
export function traceProcesses(graph: Pick<CodeGraph, 'nodes' | 'edges'>, options: ProcessOptions = PROCESS_DEFAULTS): Process[] {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const callees = new Map<number, { target: number; confidence: number }[]>();
  const called = new Set<number>();
  for (const edge of graph.edges) {
    if (edge.type !== 'CALLS' || edge.source === edge.target) continue;
    const source = byId.get(edge.source);
    if (source === undefined || source.label === 'File') continue;
    called.add(edge.target);
    if (edge.confidence < options.minConfidence) continue;
    push(callees, edge.source, { target: edge.target, confidence: edge.confidence });
  }
  const isEntry = (node: GraphNode): boolean => (node.label === 'Function' || node.label === 'Method')
    && (callees.get(node.id)?.length ?? 0) > 0 && (!called.has(node.id) || ENTRY_NAME.test(node.name));
  const found: Omit<Process, 'id'>[] = [];
  for (const node of graph.nodes) {
    if (!isEntry(node)) continue;
    const steps: ProcessStep[] = [{ node: node.id, step: 1, depth: 0 }];
    const seen = new Set([node.id]);
    for (let at = 0; at < steps.length && steps.length < options.maxSteps; at++) {
      const current = steps[at]!;
      if (current.depth >= options.maxDepth) continue;
      const next = [...(callees.get(current.node) ?? [])].sort((a, b) => b.confidence - a.confidence || a.target - b.target);
      for (const { target } of next) {
        if (seen.has(target) || steps.length >= options.maxSteps) continue;
        seen.add(target);
        steps.push({ node: target, step: steps.length + 1, depth: current.depth + 1 });
      }
    }
    if (steps.length < options.minSteps) continue;
    const terminal = [...steps].sort((a, b) => b.depth - a.depth || a.step - b.step)[0]!.node;
    const communities = new Set(steps.map((step) => byId.get(step.node)?.community ?? 0));
    found.push({
      name: `${node.name} → ${byId.get(terminal)!.name}`, entry: node.id, terminal, steps,
      type: communities.size === 1 && !communities.has(0) ? 'intra_community' : 'cross_community',
    });
  }
  return found
    .sort((a, b) => b.steps.length - a.steps.length || a.entry - b.entry)
    .slice(0, options.maxProcesses)
    .map((process, index) => ({ ...process, id: index + 1 }));
}
