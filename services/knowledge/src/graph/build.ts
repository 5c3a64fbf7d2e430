import { push } from './multimap';
import { posix } from 'node:path';
import type { CallFact, FileFacts, SymbolFact } from '../parse/facts';
import { CONFIDENCE, EDGE_TYPES, MAX_NAME_MATCHES, type CodeGraph, type EdgeReason, type EdgeType, type GraphEdge, type GraphNode, type NodeLabel } from './model';
import { ModuleResolver, type ImportTarget, type Manifests } from './modules';
import { goImplicitInterfaces } from './go-interfaces';

interface Resolved { readonly id: number; readonly reason: EdgeReason; readonly confidence: number }

const CALLABLE = new Set<NodeLabel>(['Function', 'Method', 'Class', 'Struct']);
const TYPES = new Set<NodeLabel>(['Class', 'Interface', 'Trait', 'Struct', 'Enum', 'TypeAlias']);
const SELF = new Set(['this', 'self', 'super', 'Self']);
const SAME_PACKAGE_LANGUAGES = new Set(['go', 'java']);

/**
 * Builds the graph of a repository from the facts of its files: folders and files, the symbols
 * each file defines, imports resolved to files, and calls and inheritance resolved to symbols,
 * each with a confidence and the reason it was drawn (same file, import, same package, a match
 * by name alone). Deterministic: the same facts give the same ids.
 */
export function buildGraph(facts: ReadonlyMap<string, FileFacts>, manifests: Manifests): CodeGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  // Edges are told apart as numbers (a string key per edge cost a third of the build): ids stay below 2^24.
  const edgeKeys = new Set<number>();
  const paths = [...facts.keys()].sort();
  const modules = new ModuleResolver(facts, manifests);

  const addNode = (node: Omit<GraphNode, 'id'>): GraphNode => {
    const full = { ...node, id: nodes.length + 1 } as GraphNode;
    nodes.push(full);
    return full;
  };
  const addEdge = (source: number, target: number, type: EdgeType, confidence: number, reason: EdgeReason): void => {
    if (source === target && type !== 'CALLS') return;
    const key = (source * 16_777_216 + target) * 8 + EDGE_TYPES.indexOf(type);
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push({ source, target, type, confidence, reason });
  };

  // Folders and files.
  const folders = new Map<string, GraphNode>();
  const folder = (dir: string): GraphNode | undefined => {
    if (dir === '.' || dir === '') return undefined;
    const known = folders.get(dir);
    if (known) return known;
    const parent = folder(posix.dirname(dir));
    const node = addNode({ label: 'Folder', name: posix.basename(dir), key: dir, qualified: dir, file: null, language: null, startLine: null, endLine: null, signature: '', doc: '' });
    folders.set(dir, node);
    if (parent) addEdge(parent.id, node.id, 'CONTAINS', 1, 'structure');
    return node;
  };
  const fileNodes = new Map<string, GraphNode>();
  for (const path of paths) {
    const fact = facts.get(path)!;
    const parent = folder(posix.dirname(path));
    const node = addNode({ label: 'File', name: posix.basename(path), key: path, qualified: path, file: path, language: fact.language, startLine: 1, endLine: fact.lines, signature: '', doc: '' });
    fileNodes.set(path, node);
    if (parent) addEdge(parent.id, node.id, 'CONTAINS', 1, 'structure');
  }

  // Symbols, by file and qualified name, and by name across the repository.
  const symbols = new Map<string, Map<string, GraphNode>>();
  const byName = new Map<string, GraphNode[]>();
  for (const path of paths) {
    const fact = facts.get(path)!;
    const own = new Map<string, GraphNode>();
    symbols.set(path, own);
    for (const symbol of fact.symbols) {
      const node = addNode({
        label: symbol.kind, name: symbol.name, key: `${path}#${symbol.qualified}`, qualified: symbol.qualified, file: path, language: fact.language,
        startLine: symbol.startLine, endLine: symbol.endLine, signature: symbol.signature, doc: symbol.doc,
      });
      own.set(symbol.qualified, node);
      push(byName, symbol.name, node);
      addEdge(fileNodes.get(path)!.id, node.id, 'DEFINES', 1, 'structure');
    }
  }
  const samePackageFiles = (path: string): readonly string[] => {
    const language = facts.get(path)?.language ?? '';
    return SAME_PACKAGE_LANGUAGES.has(language) ? modules.filesIn(posix.dirname(path)).filter((other) => other !== path && facts.get(other)?.language === language) : [];
  };
  const inFiles = (files: readonly string[], qualified: string): GraphNode | undefined => {
    for (const file of files) { const found = symbols.get(file)?.get(qualified); if (found) return found; }
    return undefined;
  };
  // Members belong to their class (for Go and Rust, the type may be defined in another file of the package).
  for (const path of paths) {
    for (const symbol of facts.get(path)!.symbols) {
      if (symbol.container === undefined) continue;
      const owner = symbols.get(path)!.get(symbol.container) ?? inFiles(samePackageFiles(path), symbol.container)
        ?? (facts.get(path)!.language === 'rust' ? inFiles(modules.filesIn(posix.dirname(path)), symbol.container) : undefined);
      if (owner) addEdge(symbols.get(path)!.get(symbol.qualified)!.id, owner.id, 'MEMBER_OF', 1, 'structure');
    }
  }

  // Imports: file → file, and the names each file binds.
  let unresolvedImports = 0;
  const bindings = new Map<string, Map<string, ImportTarget>>();
  for (const path of paths) {
    const fact = facts.get(path)!;
    const own = new Map<string, ImportTarget>();
    bindings.set(path, own);
    for (const imported of fact.imports) {
      const targets = modules.resolve(path, fact.language, imported);
      if (targets === undefined) { unresolvedImports++; continue; }
      for (const [local, target] of targets) {
        if (local !== '') own.set(local, target);
        for (const file of target.files) if (file !== path) addEdge(fileNodes.get(path)!.id, fileNodes.get(file)!.id, 'IMPORTS', 1, 'import-resolved');
      }
    }
  }

  /** A name as a file exports it: defined there, or re-exported from another file (followed a few files deep). */
  const exported = (file: string, name: string, depth = 0): GraphNode | undefined => {
    const own = symbols.get(file)?.get(name);
    if (own) return own;
    if (depth > 5) return undefined;
    for (const [local, target] of bindings.get(file) ?? []) {
      if (local === name && target.symbol !== '*') { const found = inTargets(target, depth + 1); if (found) return found; }
      if (local === '*') for (const next of target.files) { const found = exported(next, name, depth + 1); if (found) return found; }
    }
    return undefined;
  };
  const inTargets = (target: ImportTarget, depth = 0): GraphNode | undefined => {
    for (const file of target.files) { const found = exported(file, target.symbol === 'default' ? 'default' : target.symbol, depth); if (found) return found; }
    return undefined;
  };

  const family = (language: string | null | undefined): string => (language === 'typescript' || language === 'tsx' || language === 'javascript' ? 'js' : language ?? '');
  /** Symbols of the name in files of the same language family (a Rust call never names a TypeScript method). */
  const byNameOnly = (path: string, name: string, accept: ReadonlySet<NodeLabel>, methodsOnly: boolean): Resolved[] => {
    const language = family(facts.get(path)?.language);
    const candidates = (byName.get(name) ?? [])
      .filter((node) => (methodsOnly ? node.label === 'Method' : accept.has(node.label)) && family(node.language) === language);
    if (candidates.length === 0 || candidates.length > MAX_NAME_MATCHES) return [];
    const confidence = candidates.length === 1 ? CONFIDENCE['name-match'] : CONFIDENCE['name-match-ambiguous'];
    return candidates.map((node) => ({ id: node.id, reason: 'name-match', confidence }));
  };

  /** The symbols a name used in a file refers to, by the surest way that finds one. */
  const resolveName = (path: string, name: string, receiver: string | undefined, container: string | undefined, accept: ReadonlySet<NodeLabel>): Resolved[] => {
    const own = symbols.get(path)!;
    const imports = bindings.get(path)!;
    const same = (node: GraphNode | undefined): Resolved[] => (node && accept.has(node.label) ? [{ id: node.id, reason: 'same-file', confidence: CONFIDENCE['same-file'] }] : []);
    const viaImport = (node: GraphNode | undefined): Resolved[] => (node && accept.has(node.label) ? [{ id: node.id, reason: 'import-resolved', confidence: CONFIDENCE['import-resolved'] }] : []);
    if (receiver === undefined) {
      const local = same(own.get(name));
      if (local.length > 0) return local;
      const binding = imports.get(name);
      if (binding !== undefined && binding.symbol !== '*') {
        const found = viaImport(inTargets(binding));
        if (found.length > 0) return found;
      }
      for (const [local2, target] of imports) {
        if (local2 !== '*') continue;
        const found = viaImport(inTargets({ files: target.files, symbol: name }));
        if (found.length > 0) return found;
      }
      const pkg = inFiles(samePackageFiles(path), name);
      if (pkg && accept.has(pkg.label)) return [{ id: pkg.id, reason: 'same-package', confidence: CONFIDENCE['same-package'] }];
      return byNameOnly(path, name, accept, false);
    }
    if (SELF.has(receiver) && container !== undefined) {
      const member = same(own.get(`${container}.${name}`));
      if (member.length > 0) return member;
      const pkgMember = inFiles(samePackageFiles(path), `${container}.${name}`);
      if (pkgMember) return [{ id: pkgMember.id, reason: 'same-package', confidence: CONFIDENCE['same-package'] }];
    }
    // A static member of a class of this file (`A.make()`), or a method of a receiver named after a type.
    const staticMember = same(own.get(`${receiver}.${name}`));
    if (staticMember.length > 0) return staticMember;
    const packageMember = inFiles(samePackageFiles(path), `${receiver}.${name}`);
    if (packageMember && accept.has(packageMember.label)) return [{ id: packageMember.id, reason: 'same-package', confidence: CONFIDENCE['same-package'] }];
    const binding = imports.get(receiver) ?? imports.get(receiver.split(/\.|::/)[0] ?? receiver);
    if (binding !== undefined) {
      const found = binding.symbol === '*' ? inTargets({ files: binding.files, symbol: name }) : (() => {
        const type = inTargets(binding);
        return type ? inFiles([type.file ?? ''], `${type.qualified}.${name}`) : undefined;
      })();
      const hit = viaImport(found);
      if (hit.length > 0) return hit;
    }
    if (facts.get(path)?.language === 'rust' && !SELF.has(receiver)) {
      const target = modules.rustPath(path, `${receiver}::${name}`);
      if (target) { const hit = viaImport(inTargets(target)); if (hit.length > 0) return hit; }
    }
    return byNameOnly(path, name, accept, true);
  };

  let unresolvedCalls = 0;
  const callerNode = (path: string, call: CallFact): GraphNode => (call.caller !== undefined ? symbols.get(path)!.get(call.caller) : undefined) ?? fileNodes.get(path)!;
  const containerOf = (path: string, qualified: string | undefined): string | undefined => {
    if (qualified === undefined) return undefined;
    return facts.get(path)!.symbols.find((symbol: SymbolFact) => symbol.qualified === qualified)?.container;
  };
  for (const path of paths) {
    const fact = facts.get(path)!;
    for (const call of fact.calls) {
      const targets = resolveName(path, call.name, call.receiver, containerOf(path, call.caller), CALLABLE);
      if (targets.length === 0) { unresolvedCalls++; continue; }
      const source = callerNode(path, call).id;
      for (const target of targets) addEdge(source, target.id, 'CALLS', target.confidence, target.reason);
    }
    for (const heritage of fact.heritage) {
      const child = symbols.get(path)!.get(heritage.child) ?? inFiles(samePackageFiles(path), heritage.child);
      if (!child) continue;
      const targets = resolveName(path, heritage.parent, heritage.receiver, undefined, TYPES).filter((target) => target.id !== child.id);
      for (const target of targets) addEdge(child.id, target.id, heritage.kind, target.confidence, target.reason);
    }
  }
  goImplicitInterfaces(facts, symbols, manifests.goModules, addEdge);
  return { nodes, edges, unresolvedCalls, unresolvedImports };
}
