/** The syntax tree of the read-only query language (a subset of Cypher). */

export type Literal = string | number | boolean | null;

export type Expr =
  | { readonly kind: 'literal'; readonly value: Literal }
  | { readonly kind: 'list'; readonly items: readonly Expr[] }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'prop'; readonly variable: string; readonly property: string }
  | { readonly kind: 'call'; readonly name: string; readonly distinct: boolean; readonly args: readonly Expr[]; readonly star: boolean }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: 'AND' | 'OR' | 'XOR'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'compare'; readonly op: '=' | '<>' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'STARTS WITH' | 'ENDS WITH' | 'IN' | '=~'; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'isnull'; readonly operand: Expr; readonly negated: boolean };

export interface NodePattern {
  readonly variable?: string;
  readonly labels: readonly string[];
  readonly properties: ReadonlyArray<readonly [string, Expr]>;
}

export interface RelPattern {
  readonly variable?: string;
  readonly types: readonly string[];
  readonly direction: 'out' | 'in' | 'both';
  /** Present for a variable-length relationship (`*1..3`). */
  readonly range?: { readonly min: number; readonly max: number | undefined };
  readonly properties: ReadonlyArray<readonly [string, Expr]>;
}

export interface PathPattern {
  readonly nodes: readonly NodePattern[];
  readonly rels: readonly RelPattern[];
}

export interface ReturnItem {
  readonly expr: Expr;
  readonly alias?: string;
  /** The text as written: the column's name when it has no alias. */
  readonly text: string;
}

export interface Query {
  readonly patterns: readonly PathPattern[];
  readonly where?: Expr;
  readonly distinct: boolean;
  readonly returns: readonly ReturnItem[];
  readonly orderBy: ReadonlyArray<{ readonly expr: Expr; readonly descending: boolean }>;
  readonly skip?: Expr;
  readonly limit?: Expr;
}
