import { push } from './multimap';
import { posix } from 'node:path';
import type { FileFacts, ImportFact } from '../parse/facts';

/** What a repository declares about its own modules: npm workspace packages and Go modules, by name → folder. */
export interface Manifests {
  readonly npmPackages: ReadonlyMap<string, string>;
  readonly goModules: ReadonlyMap<string, string>;
}

/** Where an import leads: the files it names, and the name it binds there (`*`: the module itself). */
export interface ImportTarget {
  readonly files: readonly string[];
  readonly symbol: string;
}

const JS_EXTENSIONS = ['.ts', '.tsx', '.mts', '.js', '.jsx', '.mjs', '.cjs'];

/** Resolves module specifiers to files of the repository, per language. */
export class ModuleResolver {
  private readonly byDir = new Map<string, string[]>();
  private readonly bySuffix = new Map<string, string[]>();

  constructor(private readonly files: ReadonlyMap<string, FileFacts>, private readonly manifests: Manifests) {
    for (const path of files.keys()) {
      const dir = posix.dirname(path);
      push(this.byDir, dir, path);
      // Every tail of the path (`c/D.java`, `b/c/D.java`, …) for languages that name modules from a source root.
      const parts = path.split('/');
      for (let i = 0; i < parts.length; i++) {
        const tail = parts.slice(i).join('/');
        push(this.bySuffix, tail, path);
      }
    }
  }

  filesIn(dir: string): readonly string[] {
    return this.byDir.get(dir) ?? [];
  }

  private exists(path: string): boolean {
    return this.files.has(path);
  }

  /** The one file whose path ends with the tail (the shortest path when several do). */
  private suffix(tail: string): string | undefined {
    const found = this.bySuffix.get(tail);
    if (found === undefined || found.length === 0) return undefined;
    return [...found].sort((a, b) => a.length - b.length || a.localeCompare(b))[0];
  }

  private jsFile(base: string): string | undefined {
    const stripped = base.replace(/\.(js|jsx|mjs|cjs)$/, '');
    const candidates = [base, ...JS_EXTENSIONS.map((ext) => stripped + ext), ...JS_EXTENSIONS.map((ext) => `${stripped}/index${ext}`)];
    return candidates.find((candidate) => this.exists(candidate));
  }

  private js(from: string, source: string): string | undefined {
    if (source.startsWith('.')) return this.jsFile(posix.normalize(posix.join(posix.dirname(from), source)));
    // A package of the repository's own workspaces: its entry, or a file under it.
    const match = [...this.manifests.npmPackages.entries()].find(([name]) => source === name || source.startsWith(`${name}/`));
    if (match === undefined) return undefined;
    const [name, dir] = match;
    const rest = source.slice(name.length).replace(/^\//, '');
    const base = rest === '' ? '' : `/${rest}`;
    for (const root of [`${dir}/src`, dir]) {
      const found = rest === '' ? this.jsFile(`${root}/index`) : this.jsFile(`${root}${base}`);
      if (found !== undefined) return found.replace(/^\.\//, '');
    }
    return undefined;
  }

  private python(from: string, source: string): ImportTarget[] | undefined {
    const dots = /^\.*/.exec(source)?.[0].length ?? 0;
    const rest = source.slice(dots).split('.').filter((part) => part !== '');
    const moduleFile = (base: string): string | undefined => [`${base}.py`, `${base}/__init__.py`].find((candidate) => this.exists(candidate));
    if (dots > 0) {
      let dir = posix.dirname(from);
      for (let i = 1; i < dots; i++) dir = posix.dirname(dir);
      const base = posix.normalize(posix.join(dir, ...rest));
      const file = rest.length === 0 ? moduleFile(dir) ?? moduleFile(base) : moduleFile(base);
      return file !== undefined ? [{ files: [file], symbol: '*' }] : rest.length === 0 ? [{ files: [], symbol: dir }] : undefined;
    }
    const tail = rest.join('/');
    const file = this.suffix(`${tail}.py`) ?? this.suffix(`${tail}/__init__.py`);
    return file !== undefined ? [{ files: [file], symbol: '*' }] : undefined;
  }

  private go(source: string): string[] | undefined {
    for (const [module, dir] of this.manifests.goModules) {
      if (source !== module && !source.startsWith(`${module}/`)) continue;
      const sub = source.slice(module.length).replace(/^\//, '');
      const target = posix.normalize(posix.join(dir, sub));
      const files = this.filesIn(target === '.' ? '.' : target).filter((path) => path.endsWith('.go') && !path.endsWith('_test.go'));
      if (files.length > 0) return files;
    }
    return undefined;
  }

  /** A Rust path (`crate::a::b::C`) to a module file and what remains of the path. */
  rustPath(from: string, path: string): ImportTarget | undefined {
    const segments = path.split('::');
    const srcIndex = from.lastIndexOf('src/');
    const crateRoot = srcIndex >= 0 ? from.slice(0, srcIndex + 3) : posix.dirname(from);
    const fileName = posix.basename(from, '.rs');
    const moduleDir = ['mod', 'lib', 'main'].includes(fileName) ? posix.dirname(from) : posix.join(posix.dirname(from), fileName);
    let dir: string;
    if (segments[0] === 'crate') { dir = crateRoot; segments.shift(); }
    else if (segments[0] === 'self') { dir = moduleDir; segments.shift(); }
    else if (segments[0] === 'super') {
      dir = moduleDir;
      while (segments[0] === 'super') { dir = posix.dirname(dir); segments.shift(); }
    } else dir = crateRoot;
    for (let take = segments.length; take >= 0; take--) {
      const base = posix.normalize(posix.join(dir, ...segments.slice(0, take)));
      const file = take === 0
        ? [`${dir}/lib.rs`, `${dir}/main.rs`, `${dir}/mod.rs`].find((candidate) => this.exists(candidate))
        : [`${base}.rs`, `${base}/mod.rs`].find((candidate) => this.exists(candidate));
      if (file === undefined) continue;
      const rest = segments.slice(take);
      if (rest.length > 1) return undefined;
      return { files: [file], symbol: rest[0] ?? '*' };
    }
    return undefined;
  }

  private java(source: string, wildcard: boolean): ImportTarget | undefined {
    const parts = source.split('.');
    if (wildcard) {
      const tail = parts.join('/');
      const dir = [...this.byDir.keys()].find((candidate) => candidate === tail || candidate.endsWith(`/${tail}`));
      return dir !== undefined ? { files: this.filesIn(dir).filter((path) => path.endsWith('.java')), symbol: '*' } : undefined;
    }
    const direct = this.suffix(`${parts.join('/')}.java`);
    if (direct !== undefined) return { files: [direct], symbol: parts[parts.length - 1] ?? '*' };
    const outer = this.suffix(`${parts.slice(0, -1).join('/')}.java`);
    if (outer !== undefined) return { files: [outer], symbol: parts[parts.length - 1] ?? '*' };
    return undefined;
  }

  /**
   * The targets of each binding of an import, in the importing file's language: `binding.local`
   * names the files and the symbol there (`*` when the binding is the module itself).
   */
  resolve(from: string, language: string, fact: ImportFact): Map<string, ImportTarget> | undefined {
    const out = new Map<string, ImportTarget>();
    switch (language) {
      case 'typescript': case 'tsx': case 'javascript': {
        const file = this.js(from, fact.source);
        if (file === undefined) return undefined;
        for (const binding of fact.bindings) out.set(binding.local, { files: [file], symbol: binding.imported });
        if (fact.bindings.length === 0) out.set('', { files: [file], symbol: '*' });
        return out;
      }
      case 'python': {
        const targets = this.python(from, fact.source);
        if (targets === undefined) return undefined;
        const [module] = targets;
        for (const binding of fact.bindings) {
          if (binding.imported === '*') { if (module && module.files.length > 0) out.set(binding.local, module); continue; }
          // `from pkg import name`: a submodule of the package, or a name its module defines.
          const packageDir = module && module.files.length > 0 ? posix.dirname(module.files[0]!) : module?.symbol;
          const submodule = packageDir !== undefined
            ? [`${packageDir}/${binding.imported}.py`, `${packageDir}/${binding.imported}/__init__.py`].find((candidate) => this.exists(candidate)) : undefined;
          if (submodule !== undefined && (module?.files[0]?.endsWith('__init__.py') ?? true)) out.set(binding.local, { files: [submodule], symbol: '*' });
          else if (module && module.files.length > 0) out.set(binding.local, { files: module.files, symbol: binding.imported });
        }
        return out.size > 0 ? out : undefined;
      }
      case 'go': {
        const files = this.go(fact.source);
        if (files === undefined) return undefined;
        for (const binding of fact.bindings) out.set(binding.local, { files, symbol: '*' });
        return out;
      }
      case 'rust': {
        const target = this.rustPath(from, fact.source.replace(/::\*$/, ''));
        if (target === undefined) return undefined;
        for (const binding of fact.bindings) out.set(binding.local, binding.local === '*' ? { files: target.files, symbol: '*' } : target);
        return out;
      }
      case 'java': {
        const wildcard = fact.bindings.some((binding) => binding.local === '*');
        const target = this.java(fact.source, wildcard);
        if (target === undefined) return undefined;
        for (const binding of fact.bindings) out.set(binding.local, target);
        return out;
      }
      default: return undefined;
    }
  }
}
