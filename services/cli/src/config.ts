import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What `cadre login` keeps: where Cadre is and the session's tokens (or an API key). */
export interface CliConfig {
  readonly url?: string;
  readonly access_token?: string;
  readonly refresh_token?: string;
  /** An API key: used as the bearer token, never refreshed. */
  readonly api_key?: string;
  readonly email?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:8000';

/** `~/.cadre/config.json`, or `$CADRE_CONFIG` (tests, several profiles). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CADRE_CONFIG ?? join(homedir(), '.cadre', 'config.json');
}

export async function readConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  try {
    const parsed = JSON.parse(await readFile(configPath(env), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as CliConfig) : {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read ${configPath(env)}: ${(error as Error).message}`);
  }
}

/** Written atomically, readable by its owner only (it holds tokens). */
export async function writeConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
}

/** The gateway's URL and the bearer credential: the environment (CADRE_URL, CADRE_TOKEN) over the file. */
export function resolveTarget(config: CliConfig, env: NodeJS.ProcessEnv = process.env): { url: string; token: string | undefined } {
  const url = (env.CADRE_URL ?? config.url ?? DEFAULT_URL).replace(/\/+$/, '');
  const token = env.CADRE_TOKEN ?? config.api_key ?? config.access_token;
  return { url, token };
}
