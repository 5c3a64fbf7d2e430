import { UndirectedGraph } from 'graphology';
import louvain from 'graphology-communities-louvain';
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
    expect(detectCommunities({ nodes: [node(1, 'alone', 'a.ts')], edges: [] })).toMatchObject({ communities: [], modularity: 0 });
  });

  it('reports the modularity graphology finds for the same partition', () => {
    const found = detectCommunities({ nodes, edges });
    const network = new UndirectedGraph();
    for (const { source, target, confidence } of edges) {
      network.mergeNode(String(source));
      network.mergeNode(String(target));
      if (network.hasEdge(String(source), String(target))) network.updateEdgeAttribute(String(source), String(target), 'weight', (w: number) => w + confidence);
      else network.addEdge(String(source), String(target), { weight: confidence });
    }
    const communities = Object.fromEntries(found.communities.flatMap((community) => community.members.map((member) => [String(member), community.id])));
    const reference = louvain.detailed(network, { getEdgeWeight: 'weight' });
    expect(found.modularity).toBeCloseTo(reference.modularity, 6);
    expect(Object.keys(communities).sort()).toEqual(Object.keys(reference.communities).sort());
  });

  describe('after a re-index', () => {
    const first = detectCommunities({ nodes, edges });
    const communityOfName = (found: ReturnType<typeof detectCommunities>, all: GraphNode[], name: string): number =>
      found.communities.find((community) => community.members.some((id) => all.find((n) => n.id === id)!.name === name))!.id;

    it('moves only the new symbol: it joins the group it calls, every other community keeps its number and members', () => {
      const added = [...nodes, node(33, 'authExtra', 'src/auth/part0.ts')];
      const more = [...edges, edge(33, 9), edge(33, 10), edge(11, 33)];
      const again = detectCommunities({ nodes: added, edges: more }, { previous: first.partition, maxDrift: 0.5 });
      expect(again.incremental).toBe(true);
      expect(communityOfName(again, added, 'authExtra')).toBe(communityOfName(first, nodes, 'authStep0'));
      for (const community of first.communities) {
        const now = again.communities.find((c) => c.id === community.id)!;
        expect(now.members.filter((id) => id !== 33)).toEqual(community.members);
      }
      expect(again.partition.drift).toBe(4);
    });

    it('moves a symbol whose calls moved to another group', () => {
      // billingStep3 (id 4) stops calling billing and calls six search symbols instead.
      const rewired = edges.filter((e) => e.source !== 4 && e.target !== 4).concat([17, 18, 19, 20, 21, 22].map((target) => edge(4, target)));
      const again = detectCommunities({ nodes, edges: rewired }, { previous: first.partition, maxDrift: 0.5 });
      expect(again.incremental).toBe(true);
      expect(communityOfName(again, nodes, 'billingStep3')).toBe(communityOfName(first, nodes, 'searchStep0'));
      expect(again.communities.find((c) => c.id === communityOfName(first, nodes, 'billingStep0'))!.members).not.toContain(4);
      expect(again.modularity).toBeGreaterThan(0.5);
    });

    it('runs Louvain on the whole graph again once too much changed since the last full run', () => {
      const added = [...nodes, node(33, 'authExtra', 'src/auth/part0.ts')];
      const more = [...edges, edge(33, 9), edge(33, 10)];
      expect(detectCommunities({ nodes: added, edges: more }, { previous: first.partition, maxDrift: 0.01 }).incremental).toBe(false);
      const drifted = { ...first.partition, drift: 2 };
      expect(detectCommunities({ nodes: added, edges: more }, { previous: drifted, maxDrift: 4 / 33 }).incremental).toBe(false);
      expect(detectCommunities({ nodes: added, edges: more }, { previous: first.partition, maxDrift: 4 / 33 }).incremental).toBe(true);
    });

    it('changes nothing when the links are the same', () => {
      const again = detectCommunities({ nodes, edges }, { previous: first.partition });
      expect(again.incremental).toBe(true);
      expect(again.communities).toEqual(first.communities);
      expect(again.modularity).toBeCloseTo(first.modularity, 10);
    });
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
