import { Graph, alg } from '@dagrejs/graphlib';

/** Dependencies of a board: task id → ids of the tasks it depends on. */
export type Edges = Readonly<Record<string, readonly string[]>>;

/**
 * The tasks on cycles of the dependency graph (each strongly connected component with a cycle,
 * Tarjan's algorithm from graphlib), or none when the graph is acyclic.
 */
export function dependencyCycles(edges: Edges): string[][] {
  const graph = new Graph({ directed: true });
  for (const [task, dependsOn] of Object.entries(edges)) {
    graph.setNode(task);
    for (const dependency of dependsOn) graph.setEdge(task, dependency);
  }
  return alg.findCycles(graph).map((cycle) => [...cycle].sort());
}

/** `edges` with the dependencies of `task` replaced. */
export function withDependencies(edges: Edges, task: string, dependsOn: readonly string[]): Edges {
  return { ...edges, [task]: [...new Set(dependsOn)] };
}
