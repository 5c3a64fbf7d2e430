#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ApiError, createClient } from './client';
import { eventsTail } from './commands/events';
import { login } from './commands/login';
import { containers, logs } from './commands/logs';
import { ProjectUsageError, projectsCommand, tasksCommand } from './commands/projects';
import { runsCancel, runsCreate, runsGet, runsList, runsRestart } from './commands/runs';
import { swarmsCancel, swarmsGet, swarmsLaunch, swarmsList } from './commands/swarms';
import { up } from './commands/up';
import { say, transcribe } from './commands/voice';
import { documentsIngest, documentsSearch, memoryImport, memoryRemember, memorySearch } from './commands/memory';
import { graphImpact, graphIndex, graphQuery } from './commands/graph';
import { createOutput } from './output';

export const USAGE = `Usage: cadre <command> [options]

  up [service]                         Start all of Cadre (embedded mode), or one service, as npm start does
  login [--url URL] [--email E] [--password P] [--code 2FA] [--api-key KEY]
                                       Sign in; the URL and tokens go to ~/.cadre/config.json
  runs create --pipeline ID --task TEXT [--context TEXT] [--project NAME]
  runs list [--pipeline ID] [--status S] [--limit N] [--cursor C]
  runs get <run>
  runs cancel <run> [--reason TEXT]
  runs restart <run> [--from-start]
  swarms launch --file FILE|- [--agent ID] [--max-concurrent N]
                                       Launch a swarm (the file: the request body, or a list of tasks)
  swarms list [--status S] [--agent ID] [--limit N]
  swarms get <swarm>
  swarms cancel <swarm> [--reason TEXT]
  events tail [--run ID] [--swarm ID] [--types a,b] [--from EVENT_ID] [--limit N] [--until a,b]
                                       Follow the event stream (resumes after a dropped connection)
  containers                           The running service instances
  logs <container> [-f] [--tail N] [--level L]
                                       An instance's log lines (-f: keep following)
  say <text> [--voice V] [--provider P] [--format wav|mp3|ogg_opus] [--out FILE]
                                       Speak text (stored as an attachment; --out writes the audio)
  transcribe <file> [--provider pocketsphinx|openai] [--language L]
                                       The text of a wav, mp3 or ogg recording
  projects list [--archived true|false|all] [--limit N]
  projects create --name NAME [--description TEXT] [--repository URL|PATH] [--pipeline ID]
  projects show <project>
  tasks list <project> [--status S] [--assignee A] [--label L] [--limit N] [--cursor C]
  tasks add <project> --title TEXT [--description TEXT] [--priority P0..P3] [--label a,b] [--depends-on id,id]
  tasks claim <project> <task> [--agent ID] [--ttl SECONDS]
  tasks move <project> <task> <state> [--reason TEXT] [--agent ID]
  memory search <query> [--agent ID] [--limit N]
                                       Hybrid search of an agent's vault and the shared one (all vaults without --agent)
  memory remember --agent ID --title T [--body TEXT | --file PATH] [--type T] [--tags a,b]
                                       Save a memory (--agent shared: the shared vault)
  memory import --agent ID <file.md|folder|file.zip>... [--wait]
                                       Import markdown files as memories (a job; --wait follows it)
  documents ingest <file> [--title T]  Ingest markdown, text, HTML or PDF
  documents search <query> [--limit N] [--document ID]
  graph index <project> [--force] [--wait]
                                       Index the project's repository (a job; --wait shows its progress)
  graph query <project> <words | MATCH …> [--limit N]
                                       Search the code graph, or run a read-only query (MATCH … RETURN)
  graph impact <project> <symbol> [--direction upstream|downstream] [--depth N] [--min-confidence X]

Options: --json (machine-readable output), --url URL (instead of CADRE_URL / the config file)
Environment: CADRE_URL, CADRE_TOKEN (a bearer token or API key), CADRE_CONFIG (config file path)`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  url: { type: 'string' },
  email: { type: 'string' },
  password: { type: 'string' },
  code: { type: 'string' },
  'api-key': { type: 'string' },
  pipeline: { type: 'string' },
  task: { type: 'string' },
  context: { type: 'string' },
  project: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  reason: { type: 'string' },
  'from-start': { type: 'boolean' },
  run: { type: 'string' },
  types: { type: 'string' },
  from: { type: 'string' },
  until: { type: 'string' },
  follow: { type: 'boolean', short: 'f' },
  tail: { type: 'string' },
  level: { type: 'string' },
  'retry-ms': { type: 'string' },
  voice: { type: 'string' },
  provider: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  language: { type: 'string' },
  name: { type: 'string' },
  description: { type: 'string' },
  repository: { type: 'string' },
  archived: { type: 'string' },
  assignee: { type: 'string' },
  label: { type: 'string' },
  title: { type: 'string' },
  priority: { type: 'string' },
  'depends-on': { type: 'string' },
  agent: { type: 'string' },
  ttl: { type: 'string' },
  file: { type: 'string' },
  'max-concurrent': { type: 'string' },
  swarm: { type: 'string' },
  body: { type: 'string' },
  type: { type: 'string' },
  tags: { type: 'string' },
  wait: { type: 'boolean' },
  document: { type: 'string' },
  force: { type: 'boolean' },
  direction: { type: 'string' },
  depth: { type: 'string' },
  'min-confidence': { type: 'string' },
} as const;

class UsageError extends Error {}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${what} is required`);
  return value;
}

function count(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number`);
  return Number(value);
}

/** Runs one command line; the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return values.help || command === 'help' ? 0 : 2;
  }
  const output = createOutput(values.json === true);
  const effectiveEnv = values.url !== undefined && command !== 'login' ? { ...env, CADRE_URL: values.url } : env;
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  try {
    switch (command) {
      case 'up':
        return await up(env, sub);
      case 'login':
        await login({
          ...(values.url !== undefined ? { url: values.url } : {}),
          ...(values.email !== undefined ? { email: values.email } : {}),
          ...(values.password !== undefined ? { password: values.password } : {}),
          ...(values.code !== undefined ? { code: values.code } : {}),
          ...(values['api-key'] !== undefined ? { apiKey: values['api-key'] } : {}),
        }, output, env);
        return 0;
      case 'runs': {
        const client = await createClient(effectiveEnv);
        const id = rest[0];
        switch (sub) {
          case 'create':
            await runsCreate(client, output, {
              pipeline: required(values.pipeline, '--pipeline'), task: required(values.task, '--task'),
              ...(values.context !== undefined ? { context: values.context } : {}),
              ...(values.project !== undefined ? { project: values.project } : {}),
            });
            return 0;
          case 'list':
            await runsList(client, output, {
              ...(values.pipeline !== undefined ? { pipeline: values.pipeline } : {}),
              ...(values.status !== undefined ? { status: values.status } : {}),
              ...(values.limit !== undefined ? { limit: values.limit } : {}),
              ...(values.cursor !== undefined ? { cursor: values.cursor } : {}),
            });
            return 0;
          case 'get':
            await runsGet(client, output, required(id, 'the run id'));
            return 0;
          case 'cancel':
            await runsCancel(client, output, required(id, 'the run id'), values.reason);
            return 0;
          case 'restart':
            await runsRestart(client, output, required(id, 'the run id'), values['from-start'] === true);
            return 0;
          default:
            throw new UsageError(`unknown command: runs ${sub ?? ''}`.trim());
        }
      }
      case 'swarms': {
        const client = await createClient(effectiveEnv);
        const id = rest[0];
        switch (sub) {
          case 'launch': {
            const maxConcurrent = count(values['max-concurrent'], '--max-concurrent');
            await swarmsLaunch(client, output, {
              file: required(values.file, '--file'),
              ...(values.agent !== undefined ? { agent: values.agent } : {}),
              ...(maxConcurrent !== undefined ? { maxConcurrent } : {}),
            });
            return 0;
          }
          case 'list':
            await swarmsList(client, output, {
              ...(values.status !== undefined ? { status: values.status } : {}),
              ...(values.agent !== undefined ? { agent: values.agent } : {}),
              ...(values.limit !== undefined ? { limit: values.limit } : {}),
            });
            return 0;
          case 'get':
            await swarmsGet(client, output, required(id, 'the swarm id'));
            return 0;
          case 'cancel':
            await swarmsCancel(client, output, required(id, 'the swarm id'), values.reason);
            return 0;
          default:
            throw new UsageError(`unknown command: swarms ${sub ?? ''}`.trim());
        }
      }
      case 'events': {
        if (sub !== 'tail') throw new UsageError(`unknown command: events ${sub ?? ''}`.trim());
        const client = await createClient(effectiveEnv);
        process.once('SIGINT', onSignal);
        const limit = count(values.limit, '--limit');
        const retryMs = count(values['retry-ms'], '--retry-ms');
        await eventsTail(client, output, {
          ...(values.run !== undefined ? { run: values.run } : {}),
          ...(values.swarm !== undefined ? { swarm: values.swarm } : {}),
          ...(values.types !== undefined ? { types: values.types } : {}),
          ...(values.from !== undefined ? { from: values.from } : {}),
          ...(values.until !== undefined ? { until: values.until } : {}),
          ...(limit !== undefined ? { limit } : {}),
          ...(retryMs !== undefined ? { retryMs } : {}),
          signal: abort.signal,
        });
        return 0;
      }
      case 'containers':
        await containers(await createClient(effectiveEnv), output);
        return 0;
      case 'logs': {
        const client = await createClient(effectiveEnv);
        process.once('SIGINT', onSignal);
        const retryMs = count(values['retry-ms'], '--retry-ms');
        await logs(client, output, required(sub, 'the container id'), {
          follow: values.follow === true,
          tail: count(values.tail, '--tail') ?? 100,
          ...(values.level !== undefined ? { level: values.level } : {}),
          ...(retryMs !== undefined ? { retryMs } : {}),
          signal: abort.signal,
        });
        return 0;
      }
      case 'say':
        await say(await createClient(effectiveEnv), output, {
          text: [sub, ...rest].filter((p) => p !== undefined).join(' ') || required(undefined, 'the text'),
          ...(values.voice !== undefined ? { voice: values.voice } : {}), ...(values.provider !== undefined ? { provider: values.provider } : {}),
          ...(values.format !== undefined ? { format: values.format } : {}), ...(values.out !== undefined ? { out: values.out } : {}),
        });
        return 0;
      case 'transcribe':
        await transcribe(await createClient(effectiveEnv), output, required(sub, 'the audio file'), {
          ...(values.provider !== undefined ? { provider: values.provider } : {}), ...(values.language !== undefined ? { language: values.language } : {}),
        });
        return 0;
      case 'projects':
        await projectsCommand(await createClient(effectiveEnv), output, sub, rest, values);
        return 0;
      case 'tasks':
        await tasksCommand(await createClient(effectiveEnv), output, sub, rest, values);
        return 0;
      case 'memory': {
        const client = await createClient(effectiveEnv);
        switch (sub) {
          case 'search':
            await memorySearch(client, output, {
              query: required(rest.join(' '), 'the query'),
              ...(values.agent !== undefined ? { agent: values.agent } : {}), ...(values.limit !== undefined ? { limit: values.limit } : {}),
            });
            return 0;
          case 'remember':
            await memoryRemember(client, output, {
              agent: required(values.agent, '--agent'), title: required(values.title, '--title'),
              ...(values.body !== undefined ? { body: values.body } : {}), ...(values.file !== undefined ? { file: values.file } : {}),
              ...(values.type !== undefined ? { type: values.type } : {}), ...(values.tags !== undefined ? { tags: values.tags } : {}),
            });
            return 0;
          case 'import':
            if (rest.length === 0) throw new UsageError('name the files, folders or zip to import');
            await memoryImport(client, output, { agent: required(values.agent, '--agent'), paths: rest, wait: values.wait === true });
            return 0;
          default:
            throw new UsageError(`unknown command: memory ${sub ?? ''}`.trim());
        }
      }
      case 'documents': {
        const client = await createClient(effectiveEnv);
        switch (sub) {
          case 'ingest':
            await documentsIngest(client, output, { file: required(rest[0], 'the file'), ...(values.title !== undefined ? { title: values.title } : {}) });
            return 0;
          case 'search':
            await documentsSearch(client, output, {
              query: required(rest.join(' '), 'the query'),
              ...(values.limit !== undefined ? { limit: values.limit } : {}), ...(values.document !== undefined ? { document: values.document } : {}),
            });
            return 0;
          default:
            throw new UsageError(`unknown command: documents ${sub ?? ''}`.trim());
        }
      }
      case 'graph': {
        const client = await createClient(effectiveEnv);
        const project = required(rest[0], 'the project id');
        switch (sub) {
          case 'index':
            await graphIndex(client, output, { project, force: values.force === true, wait: values.wait === true });
            return 0;
          case 'query':
            await graphQuery(client, output, { project, text: required(rest.slice(1).join(' '), 'the query'), ...(values.limit !== undefined ? { limit: values.limit } : {}) });
            return 0;
          case 'impact': {
            const depth = count(values.depth, '--depth');
            const minConfidence = values['min-confidence'] !== undefined ? Number(values['min-confidence']) : undefined;
            if (minConfidence !== undefined && !(minConfidence >= 0 && minConfidence <= 1)) throw new UsageError('--min-confidence must be between 0 and 1');
            await graphImpact(client, output, {
              project, symbol: required(rest[1], 'the symbol'), ...(values.direction !== undefined ? { direction: values.direction } : {}),
              ...(depth !== undefined ? { depth } : {}), ...(minConfidence !== undefined ? { minConfidence } : {}),
            });
            return 0;
          }
          default:
            throw new UsageError(`unknown command: graph ${sub ?? ''}`.trim());
        }
      }
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ProjectUsageError) {
      process.stderr.write(`cadre: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof ApiError) {
      if (output.json) process.stderr.write(`${JSON.stringify({ error: error.message, code: error.code, status: error.status, details: error.details })}\n`);
      else process.stderr.write(`cadre: ${error.message}${error.code ? ` [${error.code}]` : ''}\n`);
      return 1;
    }
    process.stderr.write(`cadre: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
