import type { Node } from '@vscode/tree-sitter-wasm';
import type { CallFact, FileFacts, HeritageFact, ImportFact, SymbolFact, SymbolKind } from './facts';
import { parserFor, type LanguageName } from './languages';
import { importsOf } from './imports';

interface Scope {
  /** The qualified name of the enclosing class-like symbol. */
  readonly container?: string;
  /** The qualified name of the enclosing function or method. */
  readonly caller?: string;
}

interface Out {
  readonly symbols: SymbolFact[];
  readonly calls: CallFact[];
  readonly heritage: HeritageFact[];
  readonly imports: ImportFact[];
  package?: string;
}

const MAX_SIGNATURE = 200;
const MAX_DOC = 500;

/** The first line(s) of a definition up to its body, on one line. */
function signatureOf(node: Node): string {
  const body = node.childForFieldName('body');
  const text = body !== null ? node.text.slice(0, body.startIndex - node.startIndex) : node.text.split('\n')[0] ?? '';
  return text.replace(/\s+/g, ' ').trim().replace(/[{:]$/, '').trim().slice(0, MAX_SIGNATURE);
}

/** The comments right above a definition (or its decorators / export), cleaned of comment markers. */
function docAbove(node: Node): string {
  let at: Node | null = node;
  while (at?.parent && ['export_statement', 'decorated_definition'].includes(at.parent.type)) at = at.parent;
  const lines: string[] = [];
  let previous = at?.previousNamedSibling ?? null;
  let expectRow = (at?.startPosition.row ?? 0) - 1;
  while (previous !== null && (previous.type === 'comment' || previous.type === 'line_comment' || previous.type === 'block_comment') && previous.endPosition.row >= expectRow) {
    lines.unshift(previous.text);
    expectRow = previous.startPosition.row - 1;
    previous = previous.previousNamedSibling;
  }
  return cleanDoc(lines.join('\n'));
}

function cleanDoc(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/^\s*(\/\*\*?|\*\/|\*|\/\/\/?|#)\s?/, '').replace(/\*\/\s*$/, '').trim())
    .filter((line) => line !== '')
    .join(' ')
    .slice(0, MAX_DOC);
}

/** A Python docstring: the first statement of the body when it is a string. */
function docstring(node: Node): string {
  const first = node.childForFieldName('body')?.namedChildren[0];
  const string = first?.type === 'expression_statement' ? first.namedChildren[0] : undefined;
  if (string?.type !== 'string') return '';
  return cleanDoc(string.text.replace(/^[rbuf]*("""|'''|"|')/i, '').replace(/("""|'''|"|')$/, ''));
}

/** Go: the parameters a function, method or interface method takes and the results it gives (`a, b int` is two). */
function goArity(node: Node): { params: number; results: number } {
  const count = (list: Node | null): number => {
    if (list === null) return 0;
    if (list.type !== 'parameter_list') return 1;
    return list.namedChildren.reduce((sum, parameter) => sum + (parameter?.type === 'parameter_declaration'
      ? Math.max(1, parameter.childrenForFieldName('name').length) : parameter?.type === 'variadic_parameter_declaration' ? 1 : 0), 0);
  };
  return { params: count(node.childForFieldName('parameters')), results: count(node.childForFieldName('result')) };
}

function nameOf(node: Node): string | undefined {
  return node.childForFieldName('name')?.text;
}

function define(out: Out, node: Node, kind: SymbolKind, name: string, scope: Scope, doc?: string, extra: Pick<SymbolFact, 'arity' | 'embeds'> = {}): SymbolFact {
  const qualified = scope.container !== undefined ? `${scope.container}.${name}` : name;
  const symbol: SymbolFact = {
    kind, name, qualified, ...(scope.container !== undefined ? { container: scope.container } : {}),
    startLine: node.startPosition.row + 1, endLine: node.endPosition.row + 1,
    signature: signatureOf(node), doc: doc ?? docAbove(node), ...extra,
  };
  out.symbols.push(symbol);
  return symbol;
}

function call(out: Out, node: Node, scope: Scope, name: string | undefined, receiver?: string): void {
  if (name === undefined || name === '') return;
  out.calls.push({
    ...(scope.caller !== undefined ? { caller: scope.caller } : {}), name,
    ...(receiver !== undefined ? { receiver: receiver.slice(0, 100) } : {}), line: node.startPosition.row + 1,
  });
}

/** The callee of a call's function node: a plain name, or a member on a receiver. */
function callee(fn: Node | null): { name?: string; receiver?: string } {
  if (fn === null) return {};
  switch (fn.type) {
    case 'identifier': case 'type_identifier': case 'field_identifier': return { name: fn.text };
    case 'member_expression': return { name: fn.childForFieldName('property')?.text, receiver: fn.childForFieldName('object')?.text };
    case 'attribute': return { name: fn.childForFieldName('attribute')?.text, receiver: fn.childForFieldName('object')?.text };
    case 'selector_expression': return { name: fn.childForFieldName('field')?.text, receiver: fn.childForFieldName('operand')?.text };
    case 'field_expression': return { name: fn.childForFieldName('field')?.text, receiver: fn.childForFieldName('value')?.text };
    case 'scoped_identifier': return { name: fn.childForFieldName('name')?.text, receiver: fn.childForFieldName('path')?.text };
    case 'generic_function': return callee(fn.childForFieldName('function'));
    default: return {};
  }
}

/** A type named in an extends/implements clause: its last name, and what qualifies it (`m.C`, `pkg.Base<T>`). */
function typeName(node: Node): { parent: string; receiver?: string } | undefined {
  const text = node.text.replace(/<.*$/s, '').replace(/\(.*$/s, '').trim();
  const parts = text.split(/\.|::/);
  const parent = parts.pop();
  if (parent === undefined || !/^[A-Za-z_$][\w$]*$/.test(parent)) return undefined;
  return { parent, ...(parts.length > 0 ? { receiver: parts.join('.') } : {}) };
}

function inherit(out: Out, child: string, node: Node, kind: 'EXTENDS' | 'IMPLEMENTS'): void {
  const type = typeName(node);
  if (type !== undefined) out.heritage.push({ child, ...type, kind });
}

type Visit = (node: Node, scope: Scope) => void;

function walkChildren(node: Node, scope: Scope, visit: Visit): void {
  for (const child of node.namedChildren) if (child !== null) visit(child, scope);
}

function visitorFor(language: LanguageName, out: Out): Visit {
  const visit: Visit = (node, scope) => {
    switch (language) {
      case 'typescript': case 'tsx': case 'javascript': return visitJs(node, scope);
      case 'python': return visitPython(node, scope);
      case 'go': return visitGo(node, scope);
      case 'rust': return visitRust(node, scope);
      case 'java': return visitJava(node, scope);
    }
  };

  function body(node: Node, scope: Scope): void {
    walkChildren(node, scope, visit);
  }

  function visitJs(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'function_declaration': case 'generator_function_declaration': {
        const name = nameOf(node);
        if (name === undefined || scope.caller !== undefined) break; // a nested function's calls are its outer function's
        const symbol = define(out, node, 'Function', name, {});
        return body(node, { caller: symbol.qualified });
      }
      case 'variable_declarator': {
        const value = node.childForFieldName('value');
        const name = node.childForFieldName('name');
        if (scope.caller === undefined && name?.type === 'identifier' && value !== null && ['arrow_function', 'function_expression', 'function'].includes(value.type)) {
          const symbol = define(out, node.parent ?? node, 'Function', name.text, {});
          return body(value, { caller: symbol.qualified });
        }
        break;
      }
      case 'class_declaration': case 'abstract_class_declaration': case 'class': {
        const name = nameOf(node);
        if (name === undefined) break;
        const symbol = define(out, node, 'Class', name, {});
        for (const part of node.namedChildren) {
          if (part?.type !== 'class_heritage') continue;
          for (const clause of part.namedChildren) {
            if (clause === null) continue;
            if (clause.type === 'extends_clause') { const value = clause.childForFieldName('value'); if (value) inherit(out, symbol.qualified, value, 'EXTENDS'); }
            else if (clause.type === 'implements_clause') for (const type of clause.namedChildren) { if (type) inherit(out, symbol.qualified, type, 'IMPLEMENTS'); }
            else inherit(out, symbol.qualified, clause, 'EXTENDS'); // JavaScript: the expression itself
          }
        }
        const classBody = node.childForFieldName('body');
        if (classBody) body(classBody, { container: symbol.qualified });
        return;
      }
      case 'method_definition': case 'abstract_method_signature': {
        const name = nameOf(node);
        if (name === undefined || scope.container === undefined) break;
        const symbol = define(out, node, 'Method', name, { container: scope.container });
        return body(node, { container: scope.container, caller: symbol.qualified });
      }
      case 'interface_declaration': {
        const name = nameOf(node);
        if (name === undefined) break;
        const symbol = define(out, node, 'Interface', name, {});
        for (const part of node.namedChildren) {
          if (part?.type === 'extends_type_clause') for (const type of part.namedChildren) { if (type) inherit(out, symbol.qualified, type, 'EXTENDS'); }
        }
        return;
      }
      case 'type_alias_declaration': { const name = nameOf(node); if (name) define(out, node, 'TypeAlias', name, {}); return; }
      case 'enum_declaration': { const name = nameOf(node); if (name) define(out, node, 'Enum', name, {}); return; }
      case 'call_expression': {
        const { name, receiver } = callee(node.childForFieldName('function'));
        call(out, node, scope, name, receiver);
        break;
      }
      case 'new_expression': {
        const { name, receiver } = callee(node.childForFieldName('constructor'));
        call(out, node, scope, name, receiver);
        break;
      }
      default: break;
    }
    body(node, scope);
  }

  function visitPython(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'function_definition': {
        const name = nameOf(node);
        if (name === undefined || scope.caller !== undefined) break; // a nested function's calls are its outer function's
        const inClass = scope.container !== undefined;
        const symbol = define(out, node, inClass ? 'Method' : 'Function', name, inClass ? { container: scope.container } : {}, docstring(node) || docAbove(node));
        return body(node, { caller: symbol.qualified });
      }
      case 'class_definition': {
        const name = nameOf(node);
        if (name === undefined || scope.caller !== undefined) break;
        const symbol = define(out, node, 'Class', name, {}, docstring(node) || docAbove(node));
        const bases = node.childForFieldName('superclasses');
        for (const base of bases?.namedChildren ?? []) if (base && (base.type === 'identifier' || base.type === 'attribute')) inherit(out, symbol.qualified, base, 'EXTENDS');
        const classBody = node.childForFieldName('body');
        if (classBody) body(classBody, { container: symbol.qualified });
        return;
      }
      case 'call': {
        const { name, receiver } = callee(node.childForFieldName('function'));
        call(out, node, scope, name, receiver);
        break;
      }
      default: break;
    }
    body(node, scope);
  }

  function visitGo(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'package_clause': out.package = node.namedChildren[0]?.text; return;
      case 'function_declaration': {
        const name = nameOf(node);
        if (name === undefined) break;
        const symbol = define(out, node, 'Function', name, {});
        return body(node, { caller: symbol.qualified });
      }
      case 'method_declaration': {
        const name = nameOf(node);
        const receiverType = node.childForFieldName('receiver')?.namedChildren[0]?.childForFieldName('type');
        const owner = receiverType?.text.replace(/^\*/, '').replace(/\[.*$/, '');
        if (name === undefined || owner === undefined) break;
        const symbol = define(out, node, 'Method', name, { container: owner }, undefined, { arity: goArity(node) });
        return body(node, { caller: symbol.qualified });
      }
      case 'type_spec': case 'type_alias': {
        const name = nameOf(node);
        const type = node.childForFieldName('type');
        if (name === undefined) break;
        const kind: SymbolKind = node.type === 'type_alias' ? 'TypeAlias' : type?.type === 'struct_type' ? 'Struct' : type?.type === 'interface_type' ? 'Interface' : 'TypeAlias';
        if (kind !== 'Interface' || type === null) {
          define(out, node, kind, name, {}, docAbove(node.parent ?? node));
          return;
        }
        // An interface: its methods (members, as Java's are) and the interfaces it embeds, to match Go's types against.
        const elements = type.namedChildren.filter((child): child is Node => child !== null);
        const embeds = elements.filter((child) => child.type !== 'method_elem' && child.type !== 'method_spec' && child.type !== 'comment').map((child) => {
          const only = child.namedChildren.length === 1 ? child.namedChildren[0] : undefined;
          return only?.type === 'type_identifier' || only?.type === 'qualified_type' ? only.text : '?';
        });
        define(out, node, 'Interface', name, {}, docAbove(node.parent ?? node), embeds.length > 0 ? { embeds } : {});
        for (const method of elements) {
          const methodName = method.type === 'method_elem' || method.type === 'method_spec' ? nameOf(method) : undefined;
          if (methodName !== undefined) define(out, method, 'Method', methodName, { container: name }, undefined, { arity: goArity(method) });
        }
        return;
      }
      case 'call_expression': {
        const { name, receiver } = callee(node.childForFieldName('function'));
        call(out, node, scope, name, receiver);
        break;
      }
      default: break;
    }
    body(node, scope);
  }

  function visitRust(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'function_item': case 'function_signature_item': {
        const name = nameOf(node);
        if (name === undefined || scope.caller !== undefined) break;
        const symbol = define(out, node, scope.container !== undefined && scope.caller === undefined ? 'Method' : 'Function', name,
          scope.caller === undefined && scope.container !== undefined ? { container: scope.container } : {});
        return body(node, { caller: symbol.qualified });
      }
      case 'struct_item': case 'union_item': { const name = nameOf(node); if (name) define(out, node, 'Struct', name, {}); return; }
      case 'enum_item': { const name = nameOf(node); if (name) define(out, node, 'Enum', name, {}); return; }
      case 'type_item': { const name = nameOf(node); if (name) define(out, node, 'TypeAlias', name, {}); return; }
      case 'trait_item': {
        const name = nameOf(node);
        if (name === undefined) break;
        const symbol = define(out, node, 'Trait', name, {});
        for (const bound of node.childForFieldName('bounds')?.namedChildren ?? []) if (bound) inherit(out, symbol.qualified, bound, 'EXTENDS');
        const traitBody = node.childForFieldName('body');
        if (traitBody) body(traitBody, { container: symbol.qualified });
        return;
      }
      case 'impl_item': {
        const type = node.childForFieldName('type');
        const owner = type !== null ? typeName(type)?.parent : undefined;
        if (owner === undefined) break;
        const trait = node.childForFieldName('trait');
        if (trait !== null) inherit(out, owner, trait, 'IMPLEMENTS');
        const implBody = node.childForFieldName('body');
        if (implBody) body(implBody, { container: owner });
        return;
      }
      case 'call_expression': {
        const { name, receiver } = callee(node.childForFieldName('function'));
        call(out, node, scope, name, receiver);
        break;
      }
      default: break;
    }
    body(node, scope);
  }

  function visitJava(node: Node, scope: Scope): void {
    switch (node.type) {
      case 'package_declaration': out.package = node.namedChildren[0]?.text; return;
      case 'class_declaration': case 'record_declaration': case 'interface_declaration': case 'enum_declaration': {
        const name = nameOf(node);
        if (name === undefined) break;
        const kind: SymbolKind = node.type === 'interface_declaration' ? 'Interface' : node.type === 'enum_declaration' ? 'Enum' : 'Class';
        const symbol = define(out, node, kind, name, scope.container !== undefined ? { container: scope.container } : {});
        const superclass = node.childForFieldName('superclass')?.namedChildren[0];
        if (superclass) inherit(out, symbol.qualified, superclass, 'EXTENDS');
        for (const part of node.namedChildren) {
          if (part?.type !== 'super_interfaces' && part?.type !== 'extends_interfaces') continue;
          const edge = part.type === 'super_interfaces' ? 'IMPLEMENTS' : 'EXTENDS';
          for (const type of part.namedChildren[0]?.namedChildren ?? []) if (type) inherit(out, symbol.qualified, type, edge);
        }
        const classBody = node.childForFieldName('body');
        if (classBody) body(classBody, { container: symbol.qualified });
        return;
      }
      case 'method_declaration': case 'constructor_declaration': {
        const name = nameOf(node);
        if (name === undefined || scope.container === undefined) break;
        const symbol = define(out, node, 'Method', name, { container: scope.container });
        return body(node, { container: scope.container, caller: symbol.qualified });
      }
      case 'method_invocation': {
        call(out, node, scope, nameOf(node), node.childForFieldName('object')?.text);
        break;
      }
      case 'object_creation_expression': {
        const type = node.childForFieldName('type');
        const named = type !== null ? typeName(type) : undefined;
        call(out, node, scope, named?.parent, named?.receiver);
        break;
      }
      default: break;
    }
    body(node, scope);
  }

  return visit;
}

/** Parses one file and lists its definitions, imports, calls and inheritance. */
export async function extractFacts(language: LanguageName, source: string): Promise<FileFacts> {
  const parser = await parserFor(language);
  const tree = parser.parse(source);
  try {
    if (tree === null) throw new Error('the parser gave no tree');
    const out: Out = { symbols: [], calls: [], heritage: [], imports: [] };
    const root = tree.rootNode;
    walkChildren(root, {}, visitorFor(language, out));
    out.imports.push(...importsOf(language, root));
    // A name defined twice in a file (overloads, redeclarations) keeps its first definition.
    const seen = new Set<string>();
    const symbols = out.symbols.filter((symbol) => !seen.has(symbol.qualified) && seen.add(symbol.qualified) !== undefined);
    return {
      language, lines: source.split('\n').length, symbols, imports: out.imports, calls: out.calls, heritage: out.heritage,
      ...(out.package !== undefined ? { package: out.package } : {}),
    };
  } finally {
    tree?.delete();
    parser.delete();
  }
}
