import { Graph, alg } from '@dagrejs/graphlib';
import { ValidationError, type SwarmTaskSpec } from '@cadre/proto';

/** What validation learns of a valid task graph. */
export interface DagShape {
  /** Keys of the tasks with no dependency, in the order given. */
  readonly rootTasks: readonly string[];
  /** Tasks on the longest dependency chain. */
  readonly maxDepth: number;
}

interface Problem {
  readonly path: string;
  readonly message: string;
}

/**
 * Checks that tasks form a DAG: unique keys, dependencies that name other tasks of the swarm,
 * no cycle. Every problem found is named in the ValidationError's details (the first in its
 * message); a cycle names the keys on it, in their order along the cycle.
 */
export function validateDag(tasks: readonly Pick<SwarmTaskSpec, 'key' | 'dependencies'>[]): DagShape {
  const problems: Problem[] = [];
  const index = new Map<string, number>();
  tasks.forEach((task, i) => {
    const first = index.get(task.key);
    if (first !== undefined) problems.push({ path: `tasks.${i}.key`, message: `duplicate task key '${task.key}' (also tasks.${first})` });
    else index.set(task.key, i);
  });
  const graph = new Graph({ directed: true });
  for (const task of tasks) graph.setNode(task.key);
  tasks.forEach((task, i) => {
    const seen = new Set<string>();
    task.dependencies.forEach((dependency, j) => {
      const path = `tasks.${i}.dependencies.${j}`;
      if (dependency === task.key) problems.push({ path, message: `task '${task.key}' depends on itself` });
      else if (!index.has(dependency)) problems.push({ path, message: `task '${task.key}' depends on unknown task '${dependency}'` });
      else if (seen.has(dependency)) problems.push({ path, message: `task '${task.key}' lists dependency '${dependency}' twice` });
      else graph.setEdge(dependency, task.key);
      seen.add(dependency);
    });
  });
  if (problems.length === 0) {
    for (const cycle of alg.findCycles(graph)) {
      const keys = orderAlongCycle(graph, cycle);
      const closes = keys.length === cycle.length && graph.hasEdge(keys.at(-1) ?? '', keys[0] ?? '');
      problems.push({
        path: 'tasks',
        message: closes ? `dependency cycle: ${[...keys, keys[0]].join(' -> ')}` : `dependency cycle among tasks ${[...cycle].sort().map((k) => `'${k}'`).join(', ')}`,
      });
    }
  }
  if (problems.length > 0) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new ValidationError(`invalid task graph: ${first?.message ?? ''}${more}`, problems.map((p) => ({ ...p })));
  }
  // Longest chain: each task one deeper than its deepest dependency, in topological order.
  const depth = new Map<string, number>();
  for (const key of alg.topsort(graph)) {
    const parents = graph.predecessors(key) ?? [];
    depth.set(key, 1 + Math.max(0, ...parents.map((p) => depth.get(p) ?? 0)));
  }
  return {
    rootTasks: tasks.filter((t) => t.dependencies.length === 0).map((t) => t.key),
    maxDepth: Math.max(0, ...depth.values()),
  };
}

/** The keys of a strongly connected component, walked along its edges from its first key (a readable cycle). */
function orderAlongCycle(graph: Graph, component: readonly string[]): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0] ?? '';
  const path = [start];
  const visited = new Set(path);
  let current = start;
  for (;;) {
    const next = (graph.successors(current) ?? []).filter((k) => members.has(k)).sort().find((k) => !visited.has(k));
    if (next === undefined) break;
    path.push(next);
    visited.add(next);
    current = next;
  }
  return path;
}
