import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DomainError, REPOSITORY_UNAVAILABLE, ValidationError } from '@cadre/proto';
import type { Pool } from 'pg';
import { NODE_COLUMNS, symbolView, type NodeRow } from './symbols';
import { neighbours, processesOf, riskOf } from './traverse';

const run = promisify(execFile);

export interface ChangesRequest {
  readonly base?: string;
  readonly head?: string;
}

/** Changed lines per file of a unified diff with no context (`-U0`), as line numbers of the new side. */
export function changedLines(diff: string): Map<string, Set<number>> {
  const files = new Map<string, Set<number>>();
  let current: Set<number> | undefined;
  let deleted: string | undefined;
  for (const line of diff.split('\n')) {
    // A deleted file has no new side: its old path names it (every symbol of it is changed, line 0).
    if (line.startsWith('--- ')) { deleted = line.slice(4).trim().replace(/^a\//, ''); continue; }
    if (line.startsWith('+++ ')) {
      const path = line.slice(4).trim();
      if (path === '/dev/null') {
        current = undefined;
        if (deleted !== undefined && deleted !== '/dev/null') files.set(deleted, new Set([0]));
      } else {
        current = new Set<number>();
        files.set(path.replace(/^b\//, ''), current);
      }
      continue;
    }
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk && current !== undefined) {
      const start = Number(hunk[1]);
      const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
      if (count === 0) current.add(Math.max(1, start));
      for (let at = start; at < start + count; at++) current.add(at);
    }
  }
  return files;
}

/** Paths as the graph has them: unquoted, with a/ and b/ prefixes whatever the server's git configuration says. */
const PLAIN_PATHS = ['-c', 'core.quotePath=false', '-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false'];

async function git(root: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-C', root, ...PLAIN_PATHS, ...args], { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    if (/not a git repository/i.test(stderr)) throw new DomainError(REPOSITORY_UNAVAILABLE, 'the indexed repository is not a git repository: it has no changes to map');
    if (/unknown revision|bad revision|ambiguous argument|invalid object|needed a single revision/i.test(stderr)) throw new ValidationError(`git does not know that revision: ${stderr.trim().slice(0, 300)}`);
    if (/cannot change to/i.test(stderr)) throw new DomainError(REPOSITORY_UNAVAILABLE, 'the indexed repository is not on this replica: index the project again');
    throw error;
  }
}

/**
 * A revision as a commit hash: never handed to `git diff` as typed (a leading `-` would be an
 * option there, `--output` one that writes a file), but resolved first, after `--end-of-options`.
 */
export async function commitOf(root: string, revision: string): Promise<string> {
  if (revision.startsWith('-')) throw new ValidationError(`'${revision}' is not a revision`);
  const hash = (await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${revision}^{commit}`]).catch((error: unknown) => {
    if ((error as { code?: number }).code === 1) throw new ValidationError(`git does not know that revision: ${revision}`);
    throw error;
  })).trim();
  if (!/^[0-9a-f]{40,64}$/.test(hash)) throw new ValidationError(`git does not know that revision: ${revision}`);
  return hash;
}

/**
 * The repository's changes mapped to the graph: with no range, the working tree (staged, unstaged
 * and untracked files) against HEAD; with `base`, base against the working tree; with `head`,
 * `base` (default head's parent) against head. Each changed line names the innermost symbol
 * around it; the callers of those (two calls deep) are impacted, and the processes of both affected.
 */
export async function changesOf(pool: Pool, schema: string, projectId: string, root: string, request: ChangesRequest) {
  const range = request.head !== undefined
    ? [await commitOf(root, request.base ?? `${request.head}^`), await commitOf(root, request.head)]
    : [await commitOf(root, request.base ?? 'HEAD')];
  // --relative: paths from the indexed folder (which may lie inside a larger repository), as the graph stores them.
  const diff = await git(root, ['diff', '-U0', '--no-color', '--no-ext-diff', '--relative', ...range, '--']);
  const lines = changedLines(diff);
  if (request.head === undefined) {
    const untracked = await git(root, ['ls-files', '--others', '--exclude-standard']);
    for (const path of untracked.split('\n').filter((p) => p !== '')) lines.set(path, new Set([0]));
  }
  const paths = [...lines.keys()];
  const { rows } = await pool.query<NodeRow>(
    `select ${NODE_COLUMNS} from "${schema}".nodes n
     where n.project_id = $1 and n.file = any($2::text[]) and n.label not in ('Folder', 'File', 'Community', 'Process')`, [projectId, paths],
  );
  const changed = new Map<number, NodeRow>();
  for (const [path, set] of lines) {
    const inFile = rows.filter((row) => row.file === path);
    for (const line of set) {
      // A new file (line 0): every symbol in it; else the innermost symbol around the line.
      const around = line === 0 ? inFile : inFile.filter((row) => row.start_line! <= line && line <= row.end_line!)
        .sort((a, b) => (a.end_line! - a.start_line!) - (b.end_line! - b.start_line!)).slice(0, 1);
      for (const row of around) changed.set(row.id, row);
    }
  }
  const ids = [...changed.keys()];
  const seen = new Set(ids);
  const impacted = [];
  let frontier = ids;
  for (let depth = 1; depth <= 2 && frontier.length > 0; depth++) {
    const found = (await neighbours(pool, schema, projectId, frontier, 'in', ['CALLS', 'EXTENDS', 'IMPLEMENTS'], 0.5)).filter((row) => !seen.has(row.id));
    const fresh = [...new Map(found.map(({ from: _from, ...row }) => [row.id, row])).values()];
    for (const row of fresh) seen.add(row.id);
    impacted.push(...fresh);
    frontier = fresh.map((row) => row.id);
  }
  const processes = await processesOf(pool, schema, projectId, [...seen]);
  const sorted = [...changed.values()].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || a.start_line! - b.start_line!);
  return {
    files: paths.sort().map((path) => ({ path, lines: [...lines.get(path)!].filter((line) => line > 0).length })),
    changed_symbols: sorted.map(symbolView), impacted, affected_processes: processes.map(({ id, name }) => ({ id, name })),
    risk: riskOf(changed.size + impacted.length, processes.length),
  };
}
