import { posix } from 'node:path';
import type { FileFacts, SymbolFact } from '../parse/facts';
import { CONFIDENCE, type EdgeReason, type EdgeType, type GraphNode } from './model';
import { push } from './multimap';

type AddEdge = (source: number, target: number, type: EdgeType, confidence: number, reason: EdgeReason) => void;

interface Interface {
  readonly node: GraphNode;
  readonly dir: string;
  readonly own: ReadonlyMap<string, string>;
  readonly embeds: readonly string[];
}

/** `name/params/results`: a method as an interface requires it. */
const shapeOf = (symbol: SymbolFact): string => `${symbol.name}/${symbol.arity?.params ?? '?'}/${symbol.arity?.results ?? '?'}`;
const exported = (name: string): boolean => /^\p{Lu}/u.test(name);

/**
 * Go's implicit interfaces: a named type of the module (a struct, or another named type) that has
 * every method of an interface of the same module — by name, and by the numbers of parameters and
 * results — implements it: `IMPLEMENTS` with reason `method-set`. An interface's method set
 * includes the interfaces it embeds; one that embeds what the module does not define (`io.Reader`),
 * holds a type-set term (a constraint) or has no method is left out, and one with an unexported
 * method is implemented only within its package. Methods promoted from embedded structs are not
 * counted.
 */
export function goImplicitInterfaces(
  facts: ReadonlyMap<string, FileFacts>, symbols: ReadonlyMap<string, ReadonlyMap<string, GraphNode>>, goModules: ReadonlyMap<string, string>, addEdge: AddEdge,
): void {
  const moduleDirs = [...goModules.values()].map((dir) => (dir === '.' ? '' : dir)).sort((a, b) => b.length - a.length);
  const moduleOf = (path: string): string => moduleDirs.find((dir) => dir === '' || path.startsWith(`${dir}/`)) ?? '';
  const byModule = new Map<string, string[]>();
  for (const [path, fact] of facts) if (fact.language === 'go') push(byModule, moduleOf(path), path);

  for (const paths of byModule.values()) {
    // The module's interfaces, and its types' methods (a type's methods may lie in several files of its package).
    const interfaces: Interface[] = [];
    const methods = new Map<string, Map<string, string>>();
    const types = new Map<string, GraphNode>();
    for (const path of paths) {
      const fact = facts.get(path)!;
      const nodes = symbols.get(path)!;
      const dir = posix.dirname(path);
      for (const symbol of fact.symbols) {
        if (symbol.kind === 'Interface') {
          const own = new Map(fact.symbols.filter((member) => member.container === symbol.qualified && member.kind === 'Method').map((member) => [member.name, shapeOf(member)]));
          interfaces.push({ node: nodes.get(symbol.qualified)!, dir, own, embeds: symbol.embeds ?? [] });
        } else if (symbol.kind === 'Struct' || symbol.kind === 'TypeAlias') {
          types.set(`${dir}#${symbol.qualified}`, nodes.get(symbol.qualified)!);
        } else if (symbol.kind === 'Method' && symbol.container !== undefined && !fact.symbols.some((other) => other.kind === 'Interface' && other.qualified === symbol.container)) {
          let own = methods.get(`${dir}#${symbol.container}`);
          if (own === undefined) { own = new Map(); methods.set(`${dir}#${symbol.container}`, own); }
          own.set(symbol.name, shapeOf(symbol));
        }
      }
    }

    // Interfaces by package folder and name; an embedded `pkg.Name` by the package's name (one folder of that name only).
    const packages = new Map<string, string>();
    for (const path of paths) { const name = facts.get(path)!.package; if (name !== undefined) packages.set(posix.dirname(path), name); }
    const named = new Map(interfaces.map((entry) => [`${entry.dir}#${entry.node.qualified}`, entry]));
    const resolveEmbed = (from: string, written: string): Interface | undefined => {
      if (!written.includes('.')) return named.get(`${from}#${written}`);
      const [pkg, name] = written.split('.') as [string, string];
      const found = interfaces.filter((entry) => entry.node.qualified === name && packages.get(entry.dir) === pkg);
      return found.length === 1 ? found[0] : undefined;
    };
    const sets = new Map<Interface, ReadonlyMap<string, string> | undefined>();
    const methodSet = (entry: Interface, seen: ReadonlySet<Interface> = new Set()): ReadonlyMap<string, string> | undefined => {
      if (sets.has(entry)) return sets.get(entry);
      if (seen.has(entry)) return undefined;
      const all = new Map(entry.own);
      for (const written of entry.embeds) {
        const embedded = written === '?' ? undefined : resolveEmbed(entry.dir, written);
        const inner = embedded !== undefined ? methodSet(embedded, new Set([...seen, entry])) : undefined;
        if (inner === undefined) { sets.set(entry, undefined); return undefined; }
        for (const [name, shape] of inner) all.set(name, shape);
      }
      sets.set(entry, all);
      return all;
    };

    for (const entry of interfaces) {
      const required = methodSet(entry);
      if (required === undefined || required.size === 0) continue;
      const packageOnly = [...required.keys()].some((name) => !exported(name));
      for (const [key, own] of methods) {
        const type = types.get(key);
        if (type === undefined || type.id === entry.node.id) continue;
        if (packageOnly && posix.dirname(type.file ?? '') !== entry.dir) continue;
        if ([...required].every(([name, shape]) => own.get(name) === shape)) {
          addEdge(type.id, entry.node.id, 'IMPLEMENTS', CONFIDENCE['method-set'], 'method-set');
        }
      }
    }
  }
}
