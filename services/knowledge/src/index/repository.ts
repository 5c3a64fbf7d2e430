import { execFile } from 'node:child_process';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { DomainError, REPOSITORY_UNAVAILABLE } from '@cadre/proto';
import type { KnowledgeConfig } from '../config';

const run = promisify(execFile);

const unavailable = (message: string): DomainError => new DomainError(REPOSITORY_UNAVAILABLE, message);

/** The folders a server-side repository path may lie under. */
export function repositoryRoots(config: KnowledgeConfig): string[] {
  const roots = config.KNOWLEDGE_REPOSITORY_ROOTS.split(',').map((root) => root.trim()).filter((root) => root !== '');
  return (roots.length > 0 ? roots : [process.cwd()]).map((root) => resolve(root));
}

const within = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

/** A server-side path: it must exist, be a folder, and lie under one of KNOWLEDGE_REPOSITORY_ROOTS. */
export async function checkLocalPath(config: KnowledgeConfig, path: string): Promise<string> {
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined || !(await stat(real)).isDirectory()) throw unavailable(`the repository path ${path} is not a folder on the server`);
  const roots = await Promise.all(repositoryRoots(config).map((root) => realpath(root).catch(() => root)));
  if (!roots.some((root) => within(root, real))) throw unavailable(`the repository path ${path} is outside the folders this server indexes (KNOWLEDGE_REPOSITORY_ROOTS)`);
  return real;
}

/** The server-side folder a repository names: an absolute path, or a `file://` URL (held to the same roots). */
export function localPathOf(repository: string): string | undefined {
  if (repository.startsWith('/')) return repository;
  if (!/^file:\/\//i.test(repository)) return undefined;
  try {
    return decodeURIComponent(new URL(repository).pathname);
  } catch {
    throw unavailable(`the repository URL ${repository} is not a valid file:// URL`);
  }
}

/**
 * The folder to index: a server-side path as it is, or a git URL cloned (shallow) into the
 * service's workspace — fetched and reset to the remote's HEAD when cloned before.
 */
export async function materialize(config: KnowledgeConfig, projectId: string, repository: string): Promise<string> {
  const local = localPathOf(repository);
  if (local !== undefined) return checkLocalPath(config, local);
  const dir = resolve(join(config.KNOWLEDGE_WORKSPACE, projectId));
  // Network transports only: no `file`, no `ext::` helpers (which run commands), none through submodules either.
  const options = { timeout: config.KNOWLEDGE_CLONE_TIMEOUT_MS, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'https:http:ssh:git' } };
  const cloned = await stat(join(dir, '.git')).then(() => true, () => false);
  try {
    if (cloned) {
      await run('git', ['-C', dir, 'fetch', '--depth', '1', 'origin', 'HEAD'], options);
      await run('git', ['-C', dir, 'reset', '--hard', '-q', 'FETCH_HEAD'], options);
    } else {
      await mkdir(resolve(config.KNOWLEDGE_WORKSPACE), { recursive: true });
      await run('git', ['clone', '-q', '--depth', '1', '--', repository, dir], options);
    }
  } catch (error) {
    const detail = error instanceof Error ? (error as Error & { stderr?: string }).stderr?.trim() || error.message : String(error);
    throw new Error(`git could not ${cloned ? 'fetch' : 'clone'} ${repository}: ${detail.slice(0, 500)}`);
  }
  return dir;
}
