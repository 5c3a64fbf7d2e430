import type { EdgeType, GraphEdge, GraphNode, NodeLabel } from '../graph/model';
import { detectCommunities } from './communities';
import { traceProcesses } from './processes';

function node(id: number, name: string, file: string, label: NodeLabel = 'Function'): GraphNode {
  return { id, label, name, key: `${file}#${name}`, qualified: name, file, language: 'typescript', startLine: 1, endLine: 1, signature: '', doc: '' };
}
const edge = (source: number, target: number, type: EdgeType = 'CALLS', confidence = 0.9): GraphEdge => ({ source, target, type, confidence, reason: 'same-file' });

describe('communities', () => {
  // Four planted groups of eight symbols, each densely calling inside, joined in a ring by one call each.
  const groups = ['billing', 'auth', 'search', 'render'];
  const nodes = groups.flatMap((group, g) => Array.from({ length: 8 }, (_, i) => node(g * 8 + i + 1, `${group}Step${i}`, `src/${group}/part${i % 2}.ts`)));
  const edges: GraphEdge[] = [];
  for (let g = 0; g < 4; g++) {
    for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) if ((i + j) % 3 !== 0) edges.push(edge(g * 8 + i + 1, g * 8 + j + 1));
    edges.push(edge(g * 8 + 1, ((g + 1) % 4) * 8 + 2, 'CALLS', 0.5));
  }

  it('recovers planted communities by Louvain, not by connected components, and reports modularity', () => {
    const found = detectCommunities({ nodes, edges });
    // The graph is connected: connected components would give one group.
    expect(found.communities).toHaveLength(4);
    const partition = found.communities.map((community) => community.members.map((id) => nodes[id - 1]!.name.replace(/Step\d$/, ''))).map((names) => [...new Set(names)]);
    expect(partition.map((names) => names.length)).toEqual([1, 1, 1, 1]);
    expect(partition.flat().sort()).toEqual([...groups].sort());
    expect(found.modularity).toBeGreaterThan(0.6);
    for (const community of found.communities) {
      expect(community.members).toHaveLength(8);
      expect(community.cohesion).toBeGreaterThan(0.8);
      expect(community.cohesion).toBeLessThan(1);
    }
    const billing = found.communities.find((community) => community.members.includes(1))!;
    expect(billing.label).toBe('src/billing: billing');
  });

  it('gives the same communities for the same graph', () => {
    expect(detectCommunities({ nodes, edges })).toEqual(detectCommunities({ nodes, edges }));
  });

  it('leaves symbols with no calls, inheritance or membership out', () => {
    expect(detectCommunities({ nodes: [node(1, 'alone', 'a.ts')], edges: [] })).toEqual({ communities: [], modularity: 0 });
  });
});

describe('processes', () => {
  // main → parse → validate → store; parse → log; cron (no callers) → store; util is only called.
  const nodes = [
    node(1, 'main', 'src/app.ts'), node(2, 'parse', 'src/parse.ts'), node(3, 'validate', 'src/parse.ts'), node(4, 'store', 'src/db.ts'),
    node(5, 'log', 'src/log.ts'), node(6, 'cron', 'src/cron.ts'), node(7, 'guess', 'src/x.ts'), node(8, 'File', 'src/app.ts', 'File'),
  ];
  const edges = [edge(1, 2), edge(2, 3), edge(3, 4), edge(2, 5), edge(6, 4), edge(3, 7, 'CALLS', 0.3), edge(8, 1)];

  it('follows the known call chain from an entry point, breadth first, over confident calls only', () => {
    const processes = traceProcesses({ nodes, edges });
    expect(processes.map((process) => ({ name: process.name, steps: process.steps.map((step) => `${step.step}:${nodes[step.node - 1]!.name}@${step.depth}`) }))).toEqual([
      { name: 'main → store', steps: ['1:main@0', '2:parse@1', '3:validate@2', '4:log@2', '5:store@3'] },
    ]);
  });

  it('counts a process of fewer steps than the minimum out, and keeps it with a lower minimum', () => {
    const processes = traceProcesses({ nodes, edges }, { minConfidence: 0.5, maxDepth: 10, maxSteps: 50, minSteps: 2, maxProcesses: 10 });
    expect(processes.map((process) => process.name)).toEqual(['main → store', 'cron → store']);
  });
});
