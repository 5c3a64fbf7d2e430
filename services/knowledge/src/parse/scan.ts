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
  readonly source: string;
}

export interface ScanResult {
  readonly files: readonly ScannedFile[];
  readonly manifests: Manifests;
  readonly skipped: { tooLarge: number; binary: number; vendored: number; unsupported: number };
}

/**
 * Lists the source files of a repository in the languages indexed, with their content hash.
 * Skips (and counts) vendored and build folders, files over `maxBytes`, binaries (a NUL byte in
 * the first 8 KiB) and files of other languages; reads npm workspace names and Go modules.
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
    const entries = readdirSync(join(root, dir), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (SKIPPED_FOLDERS.has(entry.name) || entry.name.startsWith('.')) { skipped.vendored++; continue; }
        await walk(path);
        continue;
      }
      if (!entry.isFile()) continue;
      if (entry.name === 'package.json' || entry.name === 'go.mod') await readManifest(path);
      if (languageOf(path) === undefined) { skipped.unsupported++; continue; }
      if (++sinceYield >= YIELD_EVERY) { sinceYield = 0; await yieldToLoop(); }
      const size = statSync(join(root, path)).size;
      if (size > maxBytes) { skipped.tooLarge++; continue; }
      const bytes = readFileSync(join(root, path));
      if (bytes.subarray(0, 8192).includes(0)) { skipped.binary++; continue; }
      files.push({ path, hash: createHash('sha256').update(bytes).digest('hex'), source: bytes.toString('utf8') });
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
