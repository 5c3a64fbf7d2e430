import type { z } from 'zod';
import type { IndexCounts, IndexPhase } from '@cadre/proto';
import { detectCommunities, type Partition } from '../analysis/communities';
import { traceProcesses } from '../analysis/processes';
import { buildGraph } from '../graph/build';
import type { GraphEdge, GraphNode } from '../graph/model';
import { extractFacts } from '../parse/extract';
import type { FileFacts } from '../parse/facts';
import { languageOf } from '../parse/languages';
import { readSource, scanRepository } from '../parse/scan';

export type Counts = z.infer<typeof IndexCounts>;
export type Phase = z.infer<typeof IndexPhase>;

export interface IndexInput {
  readonly root: string;
  readonly maxFileBytes: number;
  readonly maxFiles: number;
  /** The facts of the last index by path (empty with force): files whose hash is unchanged are not parsed again. */
  readonly previous: ReadonlyMap<string, { hash: string; facts: FileFacts }>;
  /** The communities of the last index (kept by this replica): a small change moves only the symbols around it. */
  readonly partition?: Partition;
}

export interface IndexOutput {
  readonly counts: Counts;
  readonly modularity: number;
  readonly errors: readonly string[];
  readonly nodes: (GraphNode & { props?: Record<string, unknown> })[];
  readonly edges: GraphEdge[];
  readonly parsed: Map<string, { hash: string; facts: FileFacts }>;
  readonly present: string[];
  readonly partition: Partition;
  /** Whether communities were found by moving the symbols around the change only. */
  readonly incremental: boolean;
}

/** Reports a phase with the counts so far (a progress event, a heartbeat of the job). */
export type Progress = (phase: Phase, counts: Counts) => Promise<void>;

const HEARTBEAT_EVERY = 100;

/**
 * Indexes a repository folder: scans it, parses the files whose content changed, resolves imports,
 * calls and inheritance, finds communities and processes, and returns the graph to store with
 * Community and Process nodes (members MEMBER_OF their community, steps STEP_IN_PROCESS).
 */
export async function indexRepository(input: IndexInput, progress: Progress, heartbeat: () => Promise<void>): Promise<IndexOutput> {
  await progress('scanning', {});
  const scan = await scanRepository(input.root, input.maxFileBytes);
  const errors: string[] = [];
  const files = scan.files.slice(0, input.maxFiles);
  if (scan.files.length > files.length) errors.push(`only the first ${input.maxFiles} of ${scan.files.length} source files were indexed (KNOWLEDGE_MAX_FILES)`);
  const counts: Counts = {
    files_total: files.length, skipped_too_large: scan.skipped.tooLarge, skipped_binary: scan.skipped.binary,
    skipped_vendored: scan.skipped.vendored, skipped_unsupported: scan.skipped.unsupported,
  };
  await progress('parsing', counts);
  const facts = new Map<string, FileFacts>();
  const parsed = new Map<string, { hash: string; facts: FileFacts }>();
  let reused = 0;
  let parseErrors = 0;
  for (const [index, file] of files.entries()) {
    if (index % HEARTBEAT_EVERY === HEARTBEAT_EVERY - 1) await heartbeat();
    const before = input.previous.get(file.path);
    if (before !== undefined && before.hash === file.hash) {
      facts.set(file.path, before.facts);
      reused++;
      continue;
    }
    try {
      // Read again to parse (the scan keeps no content): a file changed since is parsed as it is now.
      const read = readSource(input.root, file.path);
      if (read === undefined) continue;
      const found = await extractFacts(languageOf(file.path)!, read.source);
      facts.set(file.path, found);
      parsed.set(file.path, { hash: read.hash, facts: found });
    } catch (error) {
      parseErrors++;
      errors.push(`${file.path}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
    }
  }
  const present = [...facts.keys()];
  Object.assign(counts, {
    files_parsed: parsed.size, files_reused: reused, parse_errors: parseErrors,
    files_removed: [...input.previous.keys()].filter((path) => !facts.has(path)).length,
    lines: [...facts.values()].reduce((sum, fact) => sum + fact.lines, 0),
  });
  await progress('imports', counts);
  const graph = buildGraph(facts, scan.manifests);
  const ofType = (type: string): number => graph.edges.filter((edge) => edge.type === type).length;
  counts.unresolved_imports = graph.unresolvedImports;
  await progress('calls', { ...counts, unresolved_calls: graph.unresolvedCalls });
  counts.unresolved_calls = graph.unresolvedCalls;
  await progress('heritage', { ...counts, edges: ofType('EXTENDS') + ofType('IMPLEMENTS') });
  await heartbeat();

  const { communities, modularity, partition, incremental } = detectCommunities(graph, input.partition !== undefined ? { previous: input.partition } : {});
  for (const community of communities) for (const member of community.members) graph.nodes[member - 1]!.community = community.id;
  counts.communities = communities.length;
  await progress('communities', counts);
  const processes = traceProcesses(graph);
  counts.processes = processes.length;
  await progress('processes', counts);

  // Communities and processes as nodes, so the query language can match them.
  const nodes: (GraphNode & { props?: Record<string, unknown> })[] = [...graph.nodes];
  const edges: GraphEdge[] = [...graph.edges];
  const communityNode = new Map<number, number>();
  for (const community of communities) {
    const id = nodes.length + 1;
    communityNode.set(community.id, id);
    nodes.push({
      id, label: 'Community', name: community.label, key: `community:${community.id}`, qualified: `community:${community.id}`, file: null, language: null,
      startLine: null, endLine: null, signature: '', doc: '', community: community.id,
      props: { community_id: community.id, cohesion: community.cohesion, size: community.members.length },
    });
    for (const member of community.members) edges.push({ source: member, target: id, type: 'MEMBER_OF', confidence: 1, reason: 'community' });
  }
  for (const process of processes) {
    const id = nodes.length + 1;
    nodes.push({
      id, label: 'Process', name: process.name, key: `process:${process.id}`, qualified: `process:${process.id}`, file: null, language: null,
      startLine: null, endLine: null, signature: '', doc: '',
      props: { process_id: process.id, process_type: process.type, step_count: process.steps.length, entry_id: process.entry, terminal_id: process.terminal, depths: process.steps.map((step) => step.depth) },
    });
    for (const step of process.steps) edges.push({ source: step.node, target: id, type: 'STEP_IN_PROCESS', confidence: 1, reason: 'process', step: step.step });
  }
  counts.symbols = graph.nodes.filter((node) => node.label !== 'File' && node.label !== 'Folder').length;
  counts.edges = edges.length;
  await progress('search', counts);
  return { counts, modularity, errors, nodes, edges, parsed, present, partition, incremental };
}
