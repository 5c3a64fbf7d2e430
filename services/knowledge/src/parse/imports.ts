import type { Node } from '@vscode/tree-sitter-wasm';
import type { ImportBinding, ImportFact } from './facts';
import type { LanguageName } from './languages';

const unquote = (text: string): string => text.replace(/^["'`]|["'`]$/g, '');

function jsImports(root: Node): ImportFact[] {
  const found: ImportFact[] = [];
  for (const node of root.descendantsOfType(['import_statement', 'export_statement'])) {
    if (node === null) continue;
    const source = node.childForFieldName('source');
    if (source === null) continue;
    const bindings: ImportBinding[] = [];
    for (const clause of node.namedChildren) {
      if (clause === null) continue;
      if (clause.type === 'import_clause') {
        for (const part of clause.namedChildren) {
          if (part === null) continue;
          if (part.type === 'identifier') bindings.push({ local: part.text, imported: 'default' });
          else if (part.type === 'namespace_import') bindings.push({ local: part.namedChildren[0]?.text ?? '*', imported: '*' });
          else if (part.type === 'named_imports') {
            for (const spec of part.namedChildren) {
              const name = spec?.childForFieldName('name')?.text;
              if (name !== undefined) bindings.push({ local: spec?.childForFieldName('alias')?.text ?? name, imported: name });
            }
          }
        }
      } else if (clause.type === 'export_clause') {
        for (const spec of clause.namedChildren) {
          const name = spec?.childForFieldName('name')?.text;
          if (name !== undefined) bindings.push({ local: spec?.childForFieldName('alias')?.text ?? name, imported: name });
        }
      }
    }
    // `export * from './x'`: every name of the module is visible through this one.
    if (node.type === 'export_statement' && bindings.length === 0) bindings.push({ local: '*', imported: '*' });
    found.push({ source: unquote(source.text), bindings, line: node.startPosition.row + 1 });
  }
  return found;
}

function pythonImports(root: Node): ImportFact[] {
  const found: ImportFact[] = [];
  for (const node of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (node === null) continue;
    const line = node.startPosition.row + 1;
    const names = node.childrenForFieldName('name').filter((n): n is Node => n !== null);
    if (node.type === 'import_statement') {
      for (const name of names) {
        if (name.type === 'aliased_import') {
          const module = name.childForFieldName('name')?.text ?? '';
          found.push({ source: module, bindings: [{ local: name.childForFieldName('alias')?.text ?? module, imported: '*' }], line });
        } else found.push({ source: name.text, bindings: [{ local: name.text, imported: '*' }], line });
      }
      continue;
    }
    const module = node.childForFieldName('module_name')?.text ?? '';
    const bindings = names.map((name): ImportBinding => name.type === 'aliased_import'
      ? { local: name.childForFieldName('alias')?.text ?? '', imported: name.childForFieldName('name')?.text ?? '' }
      : { local: name.text, imported: name.text });
    found.push({ source: module, bindings, line });
  }
  return found;
}

function goImports(root: Node): ImportFact[] {
  return root.descendantsOfType('import_spec').flatMap((spec): ImportFact[] => {
    const path = spec?.childForFieldName('path');
    if (!spec || !path) return [];
    const source = unquote(path.text);
    const local = spec.childForFieldName('name')?.text ?? source.split('/').pop() ?? source;
    return [{ source, bindings: [{ local, imported: '*' }], line: spec.startPosition.row + 1 }];
  });
}

/** `use a::{b, c::D as E}` as one import per path. */
function rustPaths(node: Node, prefix: string, out: { path: string; local: string }[]): void {
  const join = (a: string, b: string): string => (a === '' ? b : `${a}::${b}`);
  switch (node.type) {
    case 'identifier': case 'scoped_identifier': case 'crate': case 'self': case 'super': {
      const path = join(prefix, node.text);
      out.push({ path, local: path.split('::').pop() ?? path });
      return;
    }
    case 'use_as_clause': {
      const path = join(prefix, node.childForFieldName('path')?.text ?? '');
      out.push({ path, local: node.childForFieldName('alias')?.text ?? path });
      return;
    }
    case 'scoped_use_list': {
      const inner = join(prefix, node.childForFieldName('path')?.text ?? '');
      const list = node.childForFieldName('list');
      for (const item of list?.namedChildren ?? []) if (item) rustPaths(item, inner, out);
      return;
    }
    case 'use_list': for (const item of node.namedChildren) if (item) rustPaths(item, prefix, out); return;
    case 'use_wildcard': out.push({ path: join(prefix, node.namedChildren[0]?.text ?? ''), local: '*' }); return;
    default: return;
  }
}

function rustImports(root: Node): ImportFact[] {
  return root.descendantsOfType('use_declaration').flatMap((use): ImportFact[] => {
    const argument = use?.childForFieldName('argument');
    if (!use || !argument) return [];
    const paths: { path: string; local: string }[] = [];
    rustPaths(argument, '', paths);
    return paths.map(({ path, local }) => ({
      source: path, bindings: [{ local, imported: local === '*' ? '*' : path.split('::').pop() ?? path }], line: use.startPosition.row + 1,
    }));
  });
}

function javaImports(root: Node): ImportFact[] {
  return root.descendantsOfType('import_declaration').flatMap((node): ImportFact[] => {
    const name = node?.namedChildren.find((child) => child?.type === 'scoped_identifier' || child?.type === 'identifier');
    if (!node || !name) return [];
    const wildcard = node.namedChildren.some((child) => child?.type === 'asterisk');
    const last = name.text.split('.').pop() ?? name.text;
    return [{ source: name.text, bindings: [wildcard ? { local: '*', imported: '*' } : { local: last, imported: last }], line: node.startPosition.row + 1 }];
  });
}

/** The imports of a file, each with the names it binds. */
export function importsOf(language: LanguageName, root: Node): ImportFact[] {
  switch (language) {
    case 'typescript': case 'tsx': case 'javascript': return jsImports(root);
    case 'python': return pythonImports(root);
    case 'go': return goImports(root);
    case 'rust': return rustImports(root);
    case 'java': return javaImports(root);
  }
}
