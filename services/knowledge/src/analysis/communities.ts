import { push } from '../graph/multimap';
import { UndirectedGraph } from 'graphology';
import louvain from 'graphology-communities-louvain';
import { posix } from 'node:path';
import type { CodeGraph, GraphNode } from '../graph/model';

export interface Community {
  /** 1, 2, … by size (largest first). */
  readonly id: number;
  readonly label: string;
  readonly members: readonly number[];
  /** Edges inside the community over all edges touching it (0–1). */
  readonly cohesion: number;
}

export interface Communities {
  readonly communities: readonly Community[];
  /** The modularity of the partition Louvain found. */
  readonly modularity: number;
}

/** The symbol edges that make symbols belong together, weighted by their confidence. */
const LINKS = new Set(['CALLS', 'EXTENDS', 'IMPLEMENTS', 'MEMBER_OF']);
const SYMBOL = (node: GraphNode): boolean => node.label !== 'File' && node.label !== 'Folder' && node.label !== 'Community' && node.label !== 'Process';

/** A small seeded generator, so the same graph gives the same communities. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const WORD = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+/g;
const COMMON = new Set(['get', 'set', 'new', 'to', 'of', 'the', 'is', 'on', 'and', 'for', 'with', 'from', 'by', 'src', 'lib', 'index', 'main', 'test']);

/** A label from the folder most members live in and the words their names share most. */
function labelOf(members: readonly GraphNode[]): string {
  const count = <T>(values: readonly T[]): T | undefined => {
    const tally = new Map<T, number>();
    for (const value of values) tally.set(value, (tally.get(value) ?? 0) + 1);
    return [...tally.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])))[0]?.[0];
  };
  const folder = count(members.map((node) => posix.dirname(node.file ?? '.')));
  const word = count(members.flatMap((node) => (node.name.match(WORD) ?? []).map((w) => w.toLowerCase()).filter((w) => w.length > 2 && !COMMON.has(w))));
  const place = folder === undefined || folder === '.' ? '' : folder.split('/').slice(-2).join('/');
  return [place, word].filter((part) => part !== undefined && part !== '').join(': ') || 'root';
}

/**
 * Communities of symbols by Louvain modularity optimisation (graphology's implementation) on the
 * undirected graph of calls, inheritance and membership, weighted by confidence. Symbols with no
 * such edge belong to none. Each community gets a label, its cohesion and its members.
 */
export function detectCommunities(graph: Pick<CodeGraph, 'nodes' | 'edges'>, options: { resolution?: number; seed?: number } = {}): Communities {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const network = new UndirectedGraph<Record<string, never>, { weight: number }>();
  for (const edge of graph.edges) {
    if (!LINKS.has(edge.type) || edge.source === edge.target) continue;
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target || !SYMBOL(source) || !SYMBOL(target)) continue;
    const a = String(edge.source);
    const b = String(edge.target);
    network.mergeNode(a);
    network.mergeNode(b);
    const existing = network.edge(a, b);
    if (existing !== undefined) network.updateEdgeAttribute(existing, 'weight', (weight) => (weight ?? 0) + edge.confidence);
    else network.addEdge(a, b, { weight: edge.confidence });
  }
  if (network.size === 0) return { communities: [], modularity: 0 };
  const result = louvain.detailed(network, { getEdgeWeight: 'weight', resolution: options.resolution ?? 1, rng: seeded(options.seed ?? 42) });
  const groups = new Map<number, number[]>();
  for (const [node, community] of Object.entries(result.communities)) push(groups, community, Number(node));
  const ordered = [...groups.values()].map((members) => members.sort((a, b) => a - b)).sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const communityOf = new Map<number, number>();
  ordered.forEach((members, index) => { for (const member of members) communityOf.set(member, index + 1); });
  const inside = new Array<number>(ordered.length + 1).fill(0);
  const touching = new Array<number>(ordered.length + 1).fill(0);
  network.forEachEdge((_edge, _attributes, a, b) => {
    const ca = communityOf.get(Number(a))!;
    const cb = communityOf.get(Number(b))!;
    if (ca === cb) { inside[ca]!++; touching[ca]!++; } else { touching[ca]!++; touching[cb]!++; }
  });
  return {
    modularity: result.modularity,
    communities: ordered.map((members, index) => ({
      id: index + 1, members, label: labelOf(members.map((id) => byId.get(id)!)),
      cohesion: touching[index + 1]! === 0 ? 0 : Number((inside[index + 1]! / touching[index + 1]!).toFixed(4)),
    })),
  };
}
