import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { connectNatsBus, type Bus } from '@cadre/bus';
import { startDefinedService, type DefinedService } from '@cadre/kit';
import { silentLogger } from '@cadre/logging';
import { PRINCIPAL_HEADER, projectCreate, taskClaim, taskCreate, taskImport, taskList, type MessageDefinition, type Principal } from '@cadre/proto';
import { call, exposition } from '@cadre/runtime';
import { createTestDatabase, promValue, startNats } from '@cadre/testing';
import { Kysely, PostgresDialect } from 'kysely';
import type { z } from 'zod';
import { fmt, percentile, ratio, runAlone, type BenchResult, type Headline } from '../../../bench/stats';
import type { ProjectsContext } from '../src/context';
import { projectsService } from '../src/service';
import { taskPageQuery } from '../src/view/queries';

// The board under load: two replicas of the projects service on NATS, each with its own bus
// connection, on one Postgres. Claims and listings are sent over the bus as the gateway sends
// them (request/reply with the caller's principal), so the figures are the service's, without HTTP.

const CLAIMANTS = 100;
const CLAIM_ROUNDS = 10;
const BOARD_TASKS = 10_000;
const IMPORT_CHUNK = 1_000;
const PAGES = 200;
const PAGE_SIZE = 50;

const OWNER: Principal = { kind: 'user', user_id: 'u-bench', role: 'member', credential_id: 's-bench' };

interface Stack {
  readonly client: Bus;
  readonly pool: Pool;
  readonly replicas: Array<DefinedService<ProjectsContext>>;
  send<D extends MessageDefinition>(definition: D, payload: z.input<D['request']>): Promise<z.infer<D['reply']>>;
  stop(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const database = await createTestDatabase('cadre_bench_projects');
  const nats = await startNats();
  const buses: Bus[] = [];
  const pools: Pool[] = [];
  const replicas: Array<DefinedService<ProjectsContext>> = [];
  for (const name of ['projects-1', 'projects-2']) {
    const bus = await connectNatsBus({ servers: nats.url, name });
    const pool = new Pool({ connectionString: database.url, max: 10 });
    buses.push(bus);
    pools.push(pool);
    replicas.push(await startDefinedService(projectsService, { bus, pool, logger: silentLogger(), instance: name }, { env: {} }));
  }
  const client = await connectNatsBus({ servers: nats.url, name: 'bench' });
  buses.push(client);
  const pool = new Pool({ connectionString: database.url, max: 4 });
  pools.push(pool);
  const headers = { [PRINCIPAL_HEADER]: JSON.stringify(OWNER) };
  return {
    client, pool, replicas,
    send: (definition, payload) => call(client, definition, payload, { headers, timeoutMs: 60_000 }),
    async stop() {
      for (const replica of [...replicas].reverse()) await replica.shutdown('bench over');
      await Promise.allSettled(buses.map((bus) => bus.drain()));
      await Promise.allSettled(pools.map((p) => p.end()));
      await nats.dispose();
      await database.dispose();
    },
  };
}

async function conflicts(stack: Stack): Promise<number> {
  let total = 0;
  for (const replica of stack.replicas) total += promValue(await exposition([replica.metrics.registry]), 'cadre_projects_decision_conflicts_total', { aggregate: 'task' }) ?? 0;
  return total;
}

/** `count` claims at once, each timed to its answer: on one task (contention) or each on its own (baseline). */
async function claimRound(stack: Stack, projectId: string, taskIds: readonly string[]): Promise<{ latencies: number[]; won: number; refused: number }> {
  const latencies: number[] = [];
  let won = 0;
  let refused = 0;
  await Promise.all(taskIds.map(async (taskId, i) => {
    const t0 = performance.now();
    try {
      await stack.send(taskClaim, { project_id: projectId, task_id: taskId, agent_id: `agent-${i}` });
      won++;
    } catch (error) {
      if ((error as { code?: string }).code !== 'task_claimed') throw error;
      refused++;
    }
    latencies.push(performance.now() - t0);
  }));
  return { latencies, won, refused };
}

export async function run(): Promise<BenchResult> {
  const stack = await startStack();
  try {
    // Claim contention.
    const project = await stack.send(projectCreate, { name: 'Bench board' });
    const contended: number[] = [];
    const baseline: number[] = [];
    let won = 0;
    let refused = 0;
    const before = await conflicts(stack);
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      const task = await stack.send(taskCreate, { project_id: project.id, title: `contended ${round}` });
      const r = await claimRound(stack, project.id, Array.from({ length: CLAIMANTS }, () => task.id));
      contended.push(...r.latencies);
      won += r.won;
      refused += r.refused;
    }
    const retried = (await conflicts(stack)) - before;
    let baselineRetried = 0;
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      const spread = await stack.send(taskImport, { project_id: project.id, tasks: Array.from({ length: CLAIMANTS }, (_, i) => ({ key: `free-${round}-${i}`, title: `free ${i}` })) });
      const beforeRound = await conflicts(stack);
      const r = await claimRound(stack, project.id, spread.tasks.map((t) => t.id));
      baselineRetried += (await conflicts(stack)) - beforeRound;
      if (r.won !== CLAIMANTS) throw new Error(`baseline: ${r.won} of ${CLAIMANTS} claims won`);
      baseline.push(...r.latencies);
    }

    // One claim at a time, for scale: what a claim costs with nothing queued beside it.
    const single: number[] = [];
    const lone = await stack.send(taskImport, { project_id: project.id, tasks: Array.from({ length: CLAIMANTS }, (_, i) => ({ key: `lone-${i}`, title: `lone ${i}` })) });
    for (const task of lone.tasks) {
      const t0 = performance.now();
      await stack.send(taskClaim, { project_id: project.id, task_id: task.id, agent_id: 'solo' });
      single.push(performance.now() - t0);
    }

    // Board listing of 10k tasks.
    const board = await stack.send(projectCreate, { name: '10k board' });
    const seedStart = performance.now();
    for (let offset = 0; offset < BOARD_TASKS; offset += IMPORT_CHUNK) {
      await stack.send(taskImport, {
        project_id: board.id,
        tasks: Array.from({ length: IMPORT_CHUNK }, (_, i) => ({
          key: `t${offset + i}`, title: `Task ${offset + i}`, labels: [`l${(offset + i) % 10}`], ...(i % 3 === 0 ? { assignee: 'eric' } : {}),
        })),
      });
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const db = new Kysely({ dialect: new PostgresDialect({ pool: stack.pool }) });
    const listed: number[] = [];
    const raw: number[] = [];
    const plain: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (let i = 0; i < PAGES; i++) {
      const request = { project_id: board.id, label: 'l3', limit: PAGE_SIZE, ...(cursor !== undefined ? { cursor } : {}) };
      let t0 = performance.now();
      const page = await stack.send(taskList, request);
      listed.push(performance.now() - t0);
      // The same statements straight on the pool, in the same kind of transaction.
      const query = taskPageQuery('projects', { ...request, limit: PAGE_SIZE });
      t0 = performance.now();
      await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
        await query.page.execute(trx);
        await query.count.execute(trx);
      });
      raw.push(performance.now() - t0);
      // The plainest query of such a page: rows of the label, in board order, no dependencies, no total.
      t0 = performance.now();
      await stack.pool.query(`select body from projects.tasks where project_id = $1 and labels @> array['l3'] order by created_at, task_id limit ${PAGE_SIZE} offset ${(i * PAGE_SIZE) % 1000}`, [board.id]);
      plain.push(performance.now() - t0);
      pages++;
      cursor = page.next_cursor ?? undefined;
    }
    await db.destroy().catch(() => undefined);

    const [c50, c99, b50, b99] = [percentile(contended, 50), percentile(contended, 99), percentile(baseline, 50), percentile(baseline, 99)];
    const [l50, l99, r50, r99, p50, p99] = [percentile(listed, 50), percentile(listed, 99), percentile(raw, 50), percentile(raw, 99), percentile(plain, 50), percentile(plain, 99)];
    const headlines: Headline[] = [
      { figure: `claim contention: ${CLAIMANTS} claimants on one task, answer p50 (2 replicas, NATS)`, value: `${fmt(c50)} ms`, baseline: `${fmt(b50)} ms ${CLAIMANTS} claims of ${CLAIMANTS} tasks`, ratio: ratio(c50, b50), target: '–', verdict: '–' },
      { figure: `claim contention: ${CLAIMANTS} claimants on one task, answer p99 (2 replicas, NATS)`, value: `${fmt(c99)} ms`, baseline: `${fmt(b99)} ms ${CLAIMANTS} claims of ${CLAIMANTS} tasks`, ratio: ratio(c99, b99), target: '–', verdict: '–' },
      { figure: `board listing of ${BOARD_TASKS} tasks, label filter, ${PAGE_SIZE} per page, p50`, value: `${fmt(l50)} ms`, baseline: `${fmt(r50)} ms same SQL on the pool`, ratio: ratio(l50, r50), target: '–', verdict: '–' },
    ];
    const section = [
      '## Projects: claim contention and board listing',
      '',
      `Two replicas of the projects service on NATS (each its own bus connection and pool), one Postgres; requests sent over the bus with a member's principal, as the gateway sends them.`,
      '',
      `### Claim contention`,
      '',
      `${CLAIM_ROUNDS} rounds of ${CLAIMANTS} claims sent at once on one new task each round. Every round: ${won / CLAIM_ROUNDS} claim won, ${refused / CLAIM_ROUNDS} refused with 409 \`task_claimed\` naming the holder.`,
      `Conflicts retried inside the service (a claimant's decision taken again after another replica appended first): **${retried}** over ${CLAIM_ROUNDS * CLAIMANTS} claims (${fmt(retried / (CLAIM_ROUNDS * CLAIMANTS), 2)} per claim); each retry re-reads the task and is then refused, since the claim is held.`,
      `Baseline in the same run: ${CLAIMANTS} claims sent at once on ${CLAIMANTS} different tasks (no contention; ${baselineRetried} conflicts).`,
      '',
      '| claims | samples | p50 ms | p99 ms | max ms | vs baseline (p50 / p99) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      `| baseline: ${CLAIMANTS} at once, one task each | ${baseline.length} | ${fmt(b50)} | ${fmt(b99)} | ${fmt(Math.max(...baseline))} | – |`,
      `| ${CLAIMANTS} at once on one task | ${contended.length} | ${fmt(c50)} | ${fmt(c99)} | ${fmt(Math.max(...contended))} | ${ratio(c50, b50)} / ${ratio(c99, b99)} |`,
      `| for scale: one claim at a time | ${single.length} | ${fmt(percentile(single, 50))} | ${fmt(percentile(single, 99))} | ${fmt(Math.max(...single))} | – |`,
      '',
      `### Board listing`,
      '',
      `${BOARD_TASKS} tasks imported in ${BOARD_TASKS / IMPORT_CHUNK} requests of ${IMPORT_CHUNK} (${fmt(seedSeconds, 1)} s, ${fmt(BOARD_TASKS / seedSeconds, 0)} tasks/s through the import), labels l0–l9.`,
      `${pages} pages of ${PAGE_SIZE} of \`?label=l3\` (1,000 matching), walked by cursor and started again at the end, one request at a time: the service (bus round trip, access check, one repeatable-read transaction with the page and its total, the tasks' dependencies, the reply checked against its contract) beside the same two statements run straight on the pool, and beside the plainest page query.`,
      '',
      '| listing | samples | p50 ms | p99 ms | vs service (p50) |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| service: GET …/tasks?label=l3&limit=${PAGE_SIZE} over the bus | ${listed.length} | ${fmt(l50)} | ${fmt(l99)} | 1.00× |`,
      `| baseline: the same SQL (page + total, one transaction) on the pool | ${raw.length} | ${fmt(r50)} | ${fmt(r99)} | ${ratio(r50, l50)} |`,
      `| baseline: plain \`select body … where label … limit ${PAGE_SIZE}\` | ${plain.length} | ${fmt(p50)} | ${fmt(p99)} | ${ratio(p50, l50)} |`,
      '',
    ].join('\n');
    return { section, headlines };
  } finally {
    await stack.stop();
  }
}

if (require.main === module) runAlone(run);
