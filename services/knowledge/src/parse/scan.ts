import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { join, posix } from 'node:path';
import type { Manifests } from '../graph/modules';
import { languageOf } from './languages';

/** Folders never indexed: dependencies, build output, caches, version control. */
export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set([
  'node_modules', '.git', '.hg', '.svn', 'dist', 'build', 'out', 'target', 'vendor', 'third_party', '__pycache__', '.venv', 'venv',
  'env', '.tox', '.mypy_cache', '.pytest_cache', 'coverage', '.next', '.nuxt', '.cache', '.gradle', '.idea', '.cadre', 'bin', 'obj',
]);

/** Files read between two turns of the event loop. */
const YIELD_EVERY = 200;

export interface ScannedFile {
  readonly path: string;
  readonly hash: string;
}

export interface ScanResult {
  readonly files: readonly ScannedFile[];
  readonly manifests: Manifests;
  readonly skipped: { tooLarge: number; binary: number; vendored: number; unsupported: number };
}

/** A file's content as the index reads it: its text and the hash of its bytes; undefined when it is not a text file. */
export function readSource(root: string, path: string): { source: string; hash: string } | undefined {
  const bytes = readFileSync(join(root, path));
  // A NUL byte anywhere: binary (and no text column of Postgres would take it).
  if (bytes.includes(0)) return undefined;
  return { source: bytes.toString('utf8'), hash: createHash('sha256').update(bytes).digest('hex') };
}

const NAME = new TextDecoder('utf-8', { fatal: true });

/**
 * Lists the source files of a repository in the languages indexed, with their content hash (the
 * content itself is not kept: `readSource` reads a file to parse, so memory holds one file at a
 * time). Skips (and counts) vendored and build folders, files over `maxBytes`, binaries (a NUL
 * byte), files of other languages and names that are not UTF-8; reads npm workspace names and Go
 * modules.
 */
export async function scanRepository(root: string, maxBytes: number): Promise<ScanResult> {
  const files: ScannedFile[] = [];
  const npmPackages = new Map<string, string>();
  const goModules = new Map<string, string>();
  const skipped = { tooLarge: 0, binary: 0, vendored: 0, unsupported: 0 };

  // Synchronous file calls: a promise per small file goes through the thread pool and costs about
  // 20× more (0.68 s against 0.04 s for 3,000 files here); the loop is given back every few files.
  let sinceYield = 0;
  async function walk(dir: string): Promise<void> {
    // Names read as bytes: one that is not UTF-8 is skipped, not a failure of the whole index.
    const entries = readdirSync(join(root, dir), { withFileTypes: true, encoding: 'buffer' }).flatMap((entry) => {
      try {
        return [{ entry, name: NAME.decode(entry.name) }];
      } catch {
        skipped.unsupported++;
        return [];
      }
    });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const { entry, name } of entries) {
      const path = dir === '' ? name : `${dir}/${name}`;
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (SKIPPED_FOLDERS.has(name) || name.startsWith('.')) { skipped.vendored++; continue; }
        await walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      if (name === 'package.json' || name === 'go.mod') await readManifest(path);
      if (languageOf(path) === undefined) { skipped.unsupported++; continue; }
      if (++sinceYield >= YIELD_EVERY) { sinceYield = 0; await yieldToLoop(); }
      const size = statSync(join(root, path)).size;
      if (size > maxBytes) { skipped.tooLarge++; continue; }
      const read = readSource(root, path);
      if (read === undefined) { skipped.binary++; continue; }
      files.push({ path, hash: read.hash });
    }
  }

  async function readManifest(path: string): Promise<void> {
    const text = await readFile(join(root, path), 'utf8').catch(() => '');
    const dir = posix.dirname(path);
    if (path.endsWith('package.json')) {
      try {
        const name = (JSON.parse(text) as { name?: unknown }).name;
        if (typeof name === 'string' && name !== '') npmPackages.set(name, dir);
      } catch { /* not JSON: not a package */ }
    } else {
      const module = /^module\s+(\S+)/m.exec(text)?.[1];
      if (module !== undefined) goModules.set(module, dir);
    }
  }

  await walk('');
  return { files, manifests: { npmPackages, goModules }, skipped };
}
