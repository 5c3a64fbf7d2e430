import { z } from 'zod';
import { env, loadConfig } from '@cadre/config';

/** Environment variables of the knowledge service. */
export const knowledgeConfigShape = {
  KNOWLEDGE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('knowledge').describe('Postgres schema of the service'),
  KNOWLEDGE_WORKSPACE: z.string().min(1).default('.cadre/knowledge').describe('Folder where repositories named by a git URL are cloned'),
  KNOWLEDGE_REPOSITORY_ROOTS: z.string().default('').describe(
    'Comma-separated folders under which a project\'s server-side repository path may lie (empty: the working directory of the process)'),
  KNOWLEDGE_MAX_FILE_BYTES: env.int(1024 * 1024, 1024).describe('Files larger than this are skipped (and counted)'),
  KNOWLEDGE_MAX_FILES: env.int(50_000, 1).describe('At most this many source files are indexed per repository'),
  KNOWLEDGE_INDEX_ACK_WAIT_MS: env.int(60_000, 500).describe('How long an index job may go without a heartbeat before another replica takes it over'),
  KNOWLEDGE_INDEX_ATTEMPTS: env.int(3, 1).describe('Attempts of an index job before it fails for good'),
  KNOWLEDGE_GIT_HOSTS: z.string().default('').describe(
    'Comma-separated hosts a git URL may name (`*.example.com` for its subdomains); empty: any host'),
  KNOWLEDGE_CLONE_TIMEOUT_MS: env.int(300_000, 1_000).describe('Time limit of a git clone or fetch'),
  KNOWLEDGE_GRAPH_CACHE_PROJECTS: env.int(4, 0).describe(
    'Projects whose stored graph a replica keeps in memory between index jobs, so a re-index reads nothing back (0: none)'),
  KNOWLEDGE_QUERY_TIMEOUT_MS: env.int(5_000, 10).describe('Statement timeout of a query-language query'),
  KNOWLEDGE_QUERY_MAX_ROWS: env.int(1_000, 1).describe('Rows a query-language query answers at most (truncated: true beyond)'),
};

export type KnowledgeConfig = Readonly<z.infer<z.ZodObject<typeof knowledgeConfigShape>>>;

/** Parses the knowledge variables once; a bad one fails fast, named. */
export function loadKnowledgeConfig(environment: Readonly<Record<string, string | undefined>> = process.env): KnowledgeConfig {
  return loadConfig(knowledgeConfigShape, environment);
}
