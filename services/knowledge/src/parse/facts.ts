/** What one file says, as found by its parse: kept per file (by content hash) so a re-index parses only changed files. */

export type SymbolKind = 'Function' | 'Class' | 'Method' | 'Interface' | 'Struct' | 'Enum' | 'Trait' | 'TypeAlias';

export const SYMBOL_KINDS: readonly SymbolKind[] = ['Function', 'Class', 'Method', 'Interface', 'Struct', 'Enum', 'Trait', 'TypeAlias'];

export interface SymbolFact {
  readonly kind: SymbolKind;
  readonly name: string;
  /** Unique in its file: `Class.method`, `Type.method` for a Go or Rust receiver. */
  readonly qualified: string;
  /** The qualified name of the class, struct, trait or interface it belongs to. */
  readonly container?: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly signature: string;
  readonly doc: string;
  /** Go methods (of types and of interfaces): how many parameters they take and results they give. */
  readonly arity?: { readonly params: number; readonly results: number };
  /** Go interfaces: the interfaces they embed, as written (`Reader`, `io.Writer`); `?` for a type-set term (a constraint). */
  readonly embeds?: readonly string[];
}

export interface ImportBinding {
  /** The name the file uses. */
  readonly local: string;
  /** The name in the imported module; `*` for the module itself, `default` for a default export. */
  readonly imported: string;
}

export interface ImportFact {
  /** The module as written (`./x`, `.a`, `example.com/m/util`, `crate::a::b`, `a.b.C`). */
  readonly source: string;
  readonly bindings: readonly ImportBinding[];
  readonly line: number;
}

export interface CallFact {
  /** The qualified name of the calling symbol; undefined at the top level of the file. */
  readonly caller?: string;
  readonly name: string;
  /** What the call is made on: `this`, `self`, a module binding (`util`, `np`, `a::b`), a variable. */
  readonly receiver?: string;
  readonly line: number;
}

export interface HeritageFact {
  readonly child: string;
  readonly parent: string;
  readonly receiver?: string;
  readonly kind: 'EXTENDS' | 'IMPLEMENTS';
}

export interface FileFacts {
  readonly language: string;
  readonly lines: number;
  readonly symbols: readonly SymbolFact[];
  readonly imports: readonly ImportFact[];
  readonly calls: readonly CallFact[];
  readonly heritage: readonly HeritageFact[];
  /** Go: the package clause; Java: the package declaration. */
  readonly package?: string;
}
