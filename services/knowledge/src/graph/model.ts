/** The graph of a repository as built in memory before it is stored. */

export type NodeLabel =
  | 'Folder' | 'File' | 'Function' | 'Class' | 'Method' | 'Interface' | 'Struct' | 'Enum' | 'Trait' | 'TypeAlias'
  | 'Community' | 'Process';

export const NODE_LABELS: readonly NodeLabel[] = [
  'Folder', 'File', 'Function', 'Class', 'Method', 'Interface', 'Struct', 'Enum', 'Trait', 'TypeAlias', 'Community', 'Process',
];

export type EdgeType = 'CONTAINS' | 'DEFINES' | 'MEMBER_OF' | 'IMPORTS' | 'CALLS' | 'EXTENDS' | 'IMPLEMENTS' | 'STEP_IN_PROCESS';

export const EDGE_TYPES: readonly EdgeType[] = ['CONTAINS', 'DEFINES', 'MEMBER_OF', 'IMPORTS', 'CALLS', 'EXTENDS', 'IMPLEMENTS', 'STEP_IN_PROCESS'];

/** Why an edge was drawn. Calls and inheritance carry how sure the resolution is. */
export const EDGE_REASONS = ['structure', 'same-file', 'import-resolved', 'same-package', 'method-set', 'name-match', 'community', 'process'] as const;
export type EdgeReason = (typeof EDGE_REASONS)[number];

export interface GraphNode {
  readonly id: number;
  readonly label: NodeLabel;
  readonly name: string;
  /** Files and folders: their path; symbols: `path#Qualified.name`. */
  readonly key: string;
  readonly qualified: string;
  readonly file: string | null;
  readonly language: string | null;
  readonly startLine: number | null;
  readonly endLine: number | null;
  readonly signature: string;
  readonly doc: string;
  community?: number;
}

export interface GraphEdge {
  readonly source: number;
  readonly target: number;
  readonly type: EdgeType;
  readonly confidence: number;
  readonly reason: EdgeReason;
  readonly step?: number;
}

export interface CodeGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly unresolvedCalls: number;
  readonly unresolvedImports: number;
}

/**
 * The confidence of each way a call or a base type is resolved. `method-set`: a Go type has every
 * method of an interface (by name and numbers of parameters and results — not their types), so it
 * implements it implicitly.
 */
export const CONFIDENCE: Readonly<Record<'same-file' | 'import-resolved' | 'same-package' | 'method-set' | 'name-match' | 'name-match-ambiguous', number>> = {
  'same-file': 0.95, 'import-resolved': 0.9, 'same-package': 0.85, 'method-set': 0.8, 'name-match': 0.5, 'name-match-ambiguous': 0.3,
};

/** A call name matched by name alone across the repository is drawn only when this few symbols carry it. */
export const MAX_NAME_MATCHES = 3;
