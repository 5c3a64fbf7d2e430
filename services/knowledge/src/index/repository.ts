import { execFile } from 'node:child_process';
import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { DomainError, REPOSITORY_UNAVAILABLE } from '@cadre/proto';
import type { KnowledgeConfig } from '../config';
import { SKIPPED_FOLDERS } from '../parse/scan';

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

/**
 * A server-side path: it must exist, be a folder, and lie under one of KNOWLEDGE_REPOSITORY_ROOTS —
 * and never in a hidden folder under it (`.cadre` holds the data folder and other projects' clones,
 * `.git` a repository's insides) nor in the service's own workspace of clones.
 */
export async function checkLocalPath(config: KnowledgeConfig, path: string): Promise<string> {
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined || !(await stat(real)).isDirectory()) throw unavailable(`the repository path ${path} is not a folder on the server`);
  const roots = await Promise.all(repositoryRoots(config).map((root) => realpath(root).catch(() => root)));
  const root = roots.find((candidate) => within(candidate, real));
  if (root === undefined) throw unavailable(`the repository path ${path} is outside the folders this server indexes (KNOWLEDGE_REPOSITORY_ROOTS)`);
  if (relative(root, real).split(sep).some((segment) => segment.startsWith('.'))) throw unavailable(`the repository path ${path} is in a hidden folder, which this server does not index`);
  const workspace = await realpath(resolve(config.KNOWLEDGE_WORKSPACE)).catch(() => resolve(config.KNOWLEDGE_WORKSPACE));
  // A folder around the workspace is fine when the scan never enters it (a hidden or skipped folder on the way).
  const scanned = within(real, workspace) && !relative(real, workspace).split(sep).some((segment) => segment.startsWith('.') || SKIPPED_FOLDERS.has(segment));
  if (within(workspace, real) || scanned) throw unavailable(`the repository path ${path} holds the service's clones of other projects (KNOWLEDGE_WORKSPACE)`);
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

/** The transports a clone or fetch may use (`GIT_ALLOW_PROTOCOL`): no `file`, no `ext::` helpers (which run commands). */
export const GIT_TRANSPORTS = 'https:http:ssh:git';

const NETWORK_URL = /^(?:https?|ssh|git):\/\/[^\s]+$/i;
const SCP_LIKE = /^[\w.][\w.-]*@[\w.-]+:[^\s]+$/;

/** A git URL this service clones: https, http, ssh, git, or scp-like `user@host:path` (ssh). Not `ext::`, `fd::`, an option, a relative path. */
export function isNetworkUrl(repository: string): boolean {
  return NETWORK_URL.test(repository) || SCP_LIKE.test(repository);
}

/** The host a git URL names (scp-like `user@host:path` included), lower case. */
export function hostOf(repository: string): string | undefined {
  const scp = SCP_LIKE.test(repository) && !NETWORK_URL.test(repository) ? /@([\w.-]+):/.exec(repository)?.[1] : undefined;
  if (scp !== undefined) return scp.toLowerCase();
  try {
    return new URL(repository).hostname.replace(/^\[|\]$/g, '').toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a git URL whose host KNOWLEDGE_GIT_HOSTS does not allow (comma-separated hosts, `*.` for
 * any subdomain; empty: any host) — so users cannot make the server reach hosts of its own network.
 */
export function checkGitHost(config: KnowledgeConfig, repository: string): void {
  const allowed = config.KNOWLEDGE_GIT_HOSTS.split(',').map((host) => host.trim().toLowerCase()).filter((host) => host !== '');
  if (allowed.length === 0) return;
  const host = hostOf(repository);
  const ok = host !== undefined && allowed.some((pattern) => (pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern));
  if (!ok) throw unavailable(`the repository ${maskCredentials(repository)} is on a host this server does not clone from (KNOWLEDGE_GIT_HOSTS)`);
}

const USERINFO = /\b([a-z][a-z0-9+.-]*):\/\/([^\s/@'"]+)@/gi;

/**
 * Credentials of URLs in a text masked: the user info of an http(s) URL (a token often stands in
 * the user's place) becomes `***`, the password of any other (`ssh://user:***@host`).
 */
export function maskCredentials(text: string): string {
  return text.replace(USERINFO, (whole, scheme: string, info: string) => {
    if (/^https?$/i.test(scheme)) return `${scheme}://***@`;
    const colon = info.indexOf(':');
    return colon >= 0 ? `${scheme}://${info.slice(0, colon)}:***@` : whole;
  });
}

/**
 * Where an index job finds the repository URL a project names — credentials included — when its
 * `code_graph_index_started` event holds the URL masked (the service's context asks the projects service).
 */
export type RepositorySource = (projectId: string) => Promise<string | null | undefined>;

/** The URL to clone from: as it is, or — when masked — the project's own, provided it is still the one the job was asked for. */
async function unmasked(source: RepositorySource | undefined, projectId: string, repository: string): Promise<string> {
  if (!repository.includes('***@')) return repository;
  const current = source !== undefined ? await source(projectId) : undefined;
  if (current === undefined || current === null) throw unavailable(`the credentials of ${repository} are not at hand: the project's repository could not be read`);
  if (maskCredentials(current) !== repository) throw unavailable(`the project's repository changed since this index was requested (now ${maskCredentials(current)}): index it again`);
  return current;
}

/**
 * An http(s) URL without its user and password, and the Basic authorization header they make (what
 * git itself would send); other URLs as they are.
 */
export function withoutCredentials(url: string): { url: string; header?: string } {
  if (!/^https?:\/\//i.test(url)) return { url };
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { url };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString(), header: `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

const GIT_TIMEOUT_SIGNAL = 'SIGTERM';
class TimedOut extends Error {}

/**
 * The folder to index: a server-side path as it is, or a git URL cloned (shallow, without its
 * submodules) into the service's workspace — fetched and reset to the remote's HEAD when cloned
 * before (cloned again when it cannot be fetched into). The clone keeps no credentials (its
 * `origin` is the masked URL; each fetch names the URL), and no error or log names them.
 */
export async function materialize(config: KnowledgeConfig, projectId: string, repository: string, source?: RepositorySource): Promise<string> {
  const local = localPathOf(repository);
  if (local !== undefined) return checkLocalPath(config, local);
  const masked = maskCredentials(repository);
  if (!isNetworkUrl(repository)) throw unavailable(`the repository ${masked} is not a git URL this server clones (https, http, ssh, git or user@host:path)`);
  checkGitHost(config, repository);
  const { url, header } = withoutCredentials(await unmasked(source, projectId, repository));
  const dir = resolve(join(config.KNOWLEDGE_WORKSPACE, projectId));
  const timeoutMs = config.KNOWLEDGE_CLONE_TIMEOUT_MS;
  // Network transports only, and never into submodules (whatever the server's git configuration says).
  // An http(s) URL's credentials go to git in its environment (readable by this user only), never on
  // its command line (which any process of the machine can read in /proc).
  const options = {
    timeout: timeoutMs, killSignal: GIT_TIMEOUT_SIGNAL,
    env: {
      ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: GIT_TRANSPORTS,
      ...(header !== undefined ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header } : {}),
    },
  } as const;
  const git = (...args: string[]) => run('git', ['-c', 'submodule.recurse=false', '-c', 'fetch.recurseSubmodules=false', ...args], options);
  const failed = (error: unknown, what: string): Error => {
    const failure = error as Error & { stderr?: string; killed?: boolean; signal?: string };
    if (failure.killed === true && failure.signal === GIT_TIMEOUT_SIGNAL) return new TimedOut(`${what} timed out after ${timeoutMs} ms (KNOWLEDGE_CLONE_TIMEOUT_MS)`);
    const detail = failure.stderr?.trim() || failure.message;
    return new Error(`${what} failed: ${maskCredentials(detail).slice(0, 500)}`);
  };
  if (await stat(join(dir, '.git')).then(() => true, () => false)) {
    try {
      await git('-C', dir, 'fetch', '-q', '--depth', '1', '--no-tags', '--no-recurse-submodules', '--', url, 'HEAD');
      await git('-C', dir, 'reset', '--hard', '-q', 'FETCH_HEAD');
      await git('-C', dir, 'clean', '-ffdq');
      return dir;
    } catch (error) {
      const failure = failed(error, `git fetch of ${masked}`);
      if (failure instanceof TimedOut) throw failure;
      // A clone that cannot be fetched into (left half-made by a replica killed while cloning, say) is made again.
      await rm(dir, { recursive: true, force: true });
    }
  }
  try {
    await mkdir(resolve(config.KNOWLEDGE_WORKSPACE), { recursive: true });
    await git('clone', '-q', '--depth', '1', '--no-recurse-submodules', '--', url, dir);
    await git('-C', dir, 'remote', 'set-url', 'origin', masked);
  } catch (error) {
    // A clone cut short leaves no half-made folder for the next attempt to trip on.
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw failed(error, `git clone of ${masked}`);
  }
  return dir;
}
