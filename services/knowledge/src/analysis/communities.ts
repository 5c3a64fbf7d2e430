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
 * What a later re-index starts from: the weighted network the partition was found on (pairs of that
 * build's node ids → summed confidence), each of its symbols' key and community by that build's id.
 */
export interface Partition {
  readonly communityOf: ReadonlyMap<number, number>;
  readonly network: ReadonlyMap<number, number>;
  readonly keyOf: ReadonlyMap<number, string>;
  /** Symbols changed by re-indexes since the last full Louvain run. */
  readonly drift: number;
}

export interface CommunityOptions {
  readonly resolution?: number;
  readonly seed?: number;
  /** The partition of the last index: when little changed, only the symbols around the change are moved. */
  readonly previous?: Partition;
  /** Beyond this share of the network's symbols changed (since the last full run), Louvain runs on the whole graph. */
  readonly maxDrift?: number;
}

/** The share of symbols a re-index may move locally before Louvain runs on the whole graph again. */
export const MAX_DRIFT = 0.05;

/** A pair of node ids as one number (ids below 2^26), the smaller first. */
const SPAN = 2 ** 26;
const pairKey = (a: number, b: number): number => (a < b ? a * SPAN + b : b * SPAN + a);
const pairEnds = (pair: number): [number, number] => [Math.floor(pair / SPAN), pair % SPAN];

/** The network Louvain works on: symbol pairs linked by calls, inheritance or membership, weighted by confidence. */
function networkOf(graph: Pick<CodeGraph, 'nodes' | 'edges'>, byId: ReadonlyMap<number, GraphNode>): Map<number, number> {
  const network = new Map<number, number>();
  for (const edge of graph.edges) {
    if (!LINKS.has(edge.type) || edge.source === edge.target) continue;
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target || !SYMBOL(source) || !SYMBOL(target)) continue;
    const pair = pairKey(edge.source, edge.target);
    network.set(pair, (network.get(pair) ?? 0) + edge.confidence);
  }
  return network;
}

/**
 * The partition a stored graph holds (each symbol's `community` column, the links between symbols
 * in its edges), for a replica that did not index the project last: a re-index there moves only the
 * symbols around the change too, and communities keep their numbers. Drift since the last full run
 * is not stored: it starts again from 0.
 */
export function storedPartition(graph: Pick<CodeGraph, 'nodes' | 'edges'>): Partition | undefined {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const communityOf = new Map<number, number>();
  const keyOf = new Map<number, string>();
  for (const node of graph.nodes) {
    if (node.community === undefined || node.community === null || !SYMBOL(node)) continue;
    communityOf.set(node.id, node.community);
    keyOf.set(node.id, node.key);
  }
  if (communityOf.size === 0) return undefined;
  return { communityOf, network: networkOf(graph, byId), keyOf, drift: 0 };
}

/** Louvain on the whole network (graphology's implementation): communities numbered by size. */
function fullLouvain(network: ReadonlyMap<number, number>, options: CommunityOptions): Map<number, number> {
  const graph = new UndirectedGraph<Record<string, never>, { weight: number }>();
  for (const [pair, weight] of network) {
    const [a, b] = pairEnds(pair);
    graph.mergeNode(String(a));
    graph.mergeNode(String(b));
    graph.addEdge(String(a), String(b), { weight });
  }
  const result = louvain.detailed(graph, { getEdgeWeight: 'weight', resolution: options.resolution ?? 1, rng: seeded(options.seed ?? 42) });
  const groups = new Map<number, number[]>();
  for (const [id, community] of Object.entries(result.communities)) push(groups, community, Number(id));
  const ordered = [...groups.values()].map((members) => members.sort((a, b) => a - b)).sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const communityOf = new Map<number, number>();
  ordered.forEach((members, index) => { for (const member of members) communityOf.set(member, index + 1); });
  return communityOf;
}

/**
 * Moves only the symbols around a change, starting from the last partition (the local-moving step
 * of Louvain, applied to the symbols whose links changed and to those their moves touch): each takes
 * the neighbouring community with the largest modularity gain, or one of its own. Answers undefined
 * when too much changed for that (the caller runs Louvain on the whole graph).
 */
function localMoves(network: ReadonlyMap<number, number>, graph: Pick<CodeGraph, 'nodes'>, previous: Partition, maxDrift: number, resolution: number):
  { communityOf: Map<number, number>; changed: number } | undefined {
  // The network as compressed adjacency arrays (ids are dense: 1…n).
  let size = 0;
  for (const node of graph.nodes) size = Math.max(size, node.id + 1);
  const degree = new Int32Array(size + 1);
  for (const pair of network.keys()) { const [a, b] = pairEnds(pair); degree[a]!++; degree[b]!++; }
  const offset = new Int32Array(size + 1);
  for (let id = 1; id <= size; id++) offset[id] = offset[id - 1]! + degree[id - 1]!;
  const fill = offset.slice();
  const neighbour = new Int32Array(offset[size]!);
  const weightOf = new Float64Array(offset[size]!);
  const strength = new Float64Array(size);
  let twiceM = 0;
  for (const [pair, weight] of network) {
    const [a, b] = pairEnds(pair);
    neighbour[fill[a]!] = b; weightOf[fill[a]!++] = weight;
    neighbour[fill[b]!] = a; weightOf[fill[b]!++] = weight;
    strength[a]! += weight; strength[b]! += weight;
    twiceM += 2 * weight;
  }
  let nodes = 0;
  for (let id = 0; id < size; id++) if (degree[id]! > 0) nodes++;

  // The last build's ids in this build's (by key), the last network and communities translated.
  const idOfKey = new Map<string, number>();
  for (const node of graph.nodes) if (degree[node.id]! > 0) idOfKey.set(node.key, node.id);
  const now = new Map<number, number>();
  for (const [old, key] of previous.keyOf) { const id = idOfKey.get(key); if (id !== undefined) now.set(old, id); }
  const community = new Int32Array(size);
  let next = 0;
  for (const [old, c] of previous.communityOf) {
    const id = now.get(old);
    if (id !== undefined) community[id] = c;
    next = Math.max(next, c);
  }
  const dirty = new Set<number>();
  const before = new Map<number, number>();
  for (const [pair, weight] of previous.network) {
    const [pa, pb] = pairEnds(pair);
    const a = now.get(pa);
    const b = now.get(pb);
    if (a !== undefined && b !== undefined) before.set(pairKey(a, b), weight);
    else if (a !== undefined) dirty.add(a);
    else if (b !== undefined) dirty.add(b);
  }
  // Weights read back from the store are single precision: a link whose weight moved by less than this is the same link.
  const moved = (was: number | undefined, now: number): boolean => was === undefined || Math.abs(was - now) > 1e-4;
  for (const [pair, weight] of network) if (moved(before.get(pair), weight)) for (const end of pairEnds(pair)) dirty.add(end);
  for (const pair of before.keys()) if (!network.has(pair)) for (const end of pairEnds(pair)) dirty.add(end);
  for (let id = 1; id < size; id++) if (degree[id]! > 0 && community[id] === 0) dirty.add(id);
  if (previous.drift + dirty.size > maxDrift * nodes) return undefined;

  const total = new Map<number, number>();
  for (let id = 1; id < size; id++) if (community[id]! > 0) total.set(community[id]!, (total.get(community[id]!) ?? 0) + strength[id]!);
  const queue = [...dirty].sort((a, b) => a - b);
  const queued = new Set(queue);
  // Bounded: a symbol is looked at again only when a neighbour moved, and never past the step budget.
  for (let steps = 0; queue.length > 0 && steps < 20 * (dirty.size + 1); steps++) {
    const id = queue.shift()!;
    queued.delete(id);
    const k = strength[id]!;
    const own = community[id]! > 0 ? community[id]! : undefined;
    if (own !== undefined) total.set(own, total.get(own)! - k);
    const links = new Map<number, number>();
    for (let at = offset[id]!; at < offset[id + 1]!; at++) {
      const c = community[neighbour[at]!]!;
      if (c > 0) links.set(c, (links.get(c) ?? 0) + weightOf[at]!);
    }
    // Gain of joining C (up to a constant factor): k_i,C − γ·Σ_tot(C)·k_i / 2m; a community of its own gains 0.
    let best: number | undefined;
    let bestGain = 0;
    for (const [c, weight] of [...links].sort((a, b) => a[0] - b[0])) {
      const gain = weight - (resolution * (total.get(c) ?? 0) * k) / twiceM;
      if (gain > bestGain + 1e-12) { best = c; bestGain = gain; }
    }
    if (own !== undefined && best !== own && links.has(own)) {
      const stay = links.get(own)! - (resolution * (total.get(own) ?? 0) * k) / twiceM;
      if (stay >= bestGain - 1e-12) best = own;
    }
    const chosen = best ?? (own !== undefined && (total.get(own) ?? 0) === 0 ? own : ++next);
    community[id] = chosen;
    total.set(chosen, (total.get(chosen) ?? 0) + k);
    if (chosen !== own) {
      for (let at = offset[id]!; at < offset[id + 1]!; at++) {
        const other = neighbour[at]!;
        if (!queued.has(other)) { queued.add(other); queue.push(other); }
      }
    }
  }
  const communityOf = new Map<number, number>();
  for (let id = 1; id < size; id++) if (degree[id]! > 0) communityOf.set(id, community[id]!);
  return { communityOf, changed: dirty.size };
}

/**
 * Communities of symbols by Louvain modularity optimisation (graphology's implementation) on the
 * undirected graph of calls, inheritance and membership, weighted by confidence. Symbols with no
 * such edge belong to none. Each community gets a label, its cohesion and its members.
 *
 * Given the last index's partition, a re-index that changed a few symbols moves only those (and the
 * ones their moves touch) instead of running Louvain again: communities keep their numbers, and a
 * small edit does not reshuffle the whole graph. Once the symbols changed since the last full run
 * pass `maxDrift` of the network, or with no previous partition, Louvain runs on the whole graph.
 */
export function detectCommunities(graph: Pick<CodeGraph, 'nodes' | 'edges'>, options: CommunityOptions = {}): Communities & { partition: Partition; incremental: boolean } {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const network = networkOf(graph, byId);
  if (network.size === 0) return { communities: [], modularity: 0, partition: { communityOf: new Map(), network, keyOf: new Map(), drift: 0 }, incremental: false };
  const resolution = options.resolution ?? 1;
  const local = options.previous === undefined ? undefined : localMoves(network, graph, options.previous, options.maxDrift ?? MAX_DRIFT, resolution);
  const communityOfId = local?.communityOf ?? fullLouvain(network, options);
  const drift = local === undefined ? 0 : options.previous!.drift + local.changed;

  const groups = new Map<number, number[]>();
  for (const [id, community] of communityOfId) push(groups, community, id);
  const keyOf = new Map<number, string>();
  for (const id of communityOfId.keys()) keyOf.set(id, byId.get(id)!.key);
  const ids = [...groups.keys()].sort((a, b) => a - b);
  const inside = new Map<number, number>();
  const touching = new Map<number, number>();
  const strength = new Map<number, number>();
  let twiceM = 0;
  for (const [pair, weight] of network) {
    const [a, b] = pairEnds(pair);
    const ca = communityOfId.get(a)!;
    const cb = communityOfId.get(b)!;
    if (ca === cb) { inside.set(ca, (inside.get(ca) ?? 0) + 1); touching.set(ca, (touching.get(ca) ?? 0) + 1); }
    else { touching.set(ca, (touching.get(ca) ?? 0) + 1); touching.set(cb, (touching.get(cb) ?? 0) + 1); }
    if (ca === cb) inside.set(-ca, (inside.get(-ca) ?? 0) + 2 * weight);
    strength.set(ca, (strength.get(ca) ?? 0) + weight);
    strength.set(cb, (strength.get(cb) ?? 0) + weight);
    twiceM += 2 * weight;
  }
  // Modularity of the partition: Σ_C [ in_C / 2m − γ (tot_C / 2m)² ] (in_C counts each inner edge twice).
  let modularity = 0;
  for (const id of ids) modularity += (inside.get(-id) ?? 0) / twiceM - resolution * ((strength.get(id) ?? 0) / twiceM) ** 2;
  return {
    modularity,
    communities: ids.map((id) => {
      const members = groups.get(id)!.sort((a, b) => a - b);
      const touch = touching.get(id) ?? 0;
      return { id, members, label: labelOf(members.map((member) => byId.get(member)!)), cohesion: touch === 0 ? 0 : Number(((inside.get(id) ?? 0) / touch).toFixed(4)) };
    }),
    partition: { communityOf: communityOfId, network, keyOf, drift },
    incremental: local !== undefined,
  };
}
