import type { SwarmView } from '@cadre/proto';
import { createPool } from '@cadre/runtime';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import type { Pool } from 'pg';
import { setupAdmin } from '../support/auth';
import { Fleet, type FleetService } from '../support/fleet';
import type { StreamedEvent } from '../support/runs';
import { followSwarm, getSwarm, launchSwarm, peakRunning, swarmTask, waitForSwarmEvent } from '../support/swarms';
import { parseEvents } from '../support/runs';

/*
 * Issue 12: on NATS + Postgres with two replicas each of swarms, runs and agents, one replica of
 * each is SIGKILLed while a 100-task swarm runs on the dry-run model: the swarm completes, every
 * task completes exactly once, and the tasks running at once (counted from the swarm's stored
 * events, in order) never exceed max_concurrent. The stream's `?swarm_id=` shows the stored
 * swarm events exactly once, in the store's order.
 */

const LAYERS = 10;
const WIDTH = 10;
const MAX_CONCURRENT = 8;
/** A kill each time this many more tasks completed: swarms first, then runs, then agents. */
const KILLS: ReadonlyArray<readonly [FleetService, number]> = [['swarms', 15], ['runs', 35], ['agents', 55]];

/** 10 layers of 10; each task depends on two of the layer before (fan-in). */
const tasks = Array.from({ length: LAYERS * WIDTH }, (_, n) => {
  const layer = Math.floor(n / WIDTH);
  const i = n % WIDTH;
  const dependencies = layer === 0 ? [] : [`l${layer - 1}-${i}`, `l${layer - 1}-${(i + 1) % WIDTH}`];
  return swarmTask(`l${layer}-${i}`, dependencies, { max_retries: 5 });
});

describe('swarms in a fleet: replicas of swarms, runs and agents killed during a 100-task swarm', () => {
  let nats: TestNats;
  let database: TestDatabase;
  let pool: Pool;
  let fleet: Fleet;

  beforeAll(async () => {
    nats = await startNats();
    database = await createTestDatabase('cadre_swarms_fleet');
    pool = createPool({ connectionString: database.url, max: 2 });
    fleet = new Fleet({
      DATABASE_URL: database.url, NATS_URL: nats.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
      // Model calls that take a while (about 30 pieces of 10 ms), so the kills land mid-task.
      CADRE_DRY_RUN_CHUNK_DELAY_MS: '10',
      AGENTS_JOB_ACK_WAIT_MS: '2000',
      AGENTS_REPORT_TIMEOUT_MS: '3000',
      SWARMS_ACK_WAIT_MS: '2000',
      SWARMS_SWEEP_INTERVAL_MS: '500',
      SWARMS_RETRY_BASE_MS: '200',
    });
    const services: FleetService[] = ['identity', 'gateway', 'runs', 'runs', 'agents', 'agents', 'swarms', 'swarms'];
    await fleet.startWaves([services]);
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await pool?.end();
    await database?.dispose();
    await nats?.dispose();
  });

  it('completes every task exactly once and never runs more than max_concurrent at a time', async () => {
    const gateway = fleet.alive('gateway')[0]!.url;
    const token = (await setupAdmin(gateway)).access_token;
    const launched = await launchSwarm(gateway, token, { agent_id: 'demo-writer', max_concurrent: MAX_CONCURRENT, tasks });
    expect(launched).toMatchObject({ total_tasks: 100, max_depth: LAYERS });

    const killed: string[] = [];
    let swarm: SwarmView | undefined;
    try {
      for (const [service, after] of KILLS) {
        swarm = await eventually(async () => {
          const now = await getSwarm(gateway, token, launched.swarm_id);
          expect(now.progress.completed).toBeGreaterThanOrEqual(after);
          return now;
        }, 60_000, 50);
        const victim = fleet.alive(service)[0]!;
        await fleet.kill(victim);
        killed.push(`${victim.name} at ${swarm.progress.completed} completed, ${swarm.progress.running} running`);
      }
      swarm = await eventually(async () => {
        const now = await getSwarm(gateway, token, launched.swarm_id);
        expect(now.status).toBe('completed');
        return now;
      }, 90_000, 100);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nkilled: ${killed.join('; ')}\n${fleet.report(1500)}`);
    }
    expect(killed).toHaveLength(3);
    expect(swarm.summary).toMatchObject({ total_tasks: 100, completed: 100, failed: 0, skipped: 0, cancelled: 0 });

    // The swarm's stored events, in order: every task completed once, and at no point were more
    // than max_concurrent running.
    const stored = await pool.query<{ id: string; type: string; data: Record<string, unknown> }>(
      `select id, type, data from swarms.events where stream_id = $1 order by version`, [`swarm-${launched.swarm_id}`]);
    const events: StreamedEvent[] = stored.rows.map((row, i) => ({ id: i, type: row.type, occurredAt: '', data: row.data }));
    const completions = new Map<string, number>();
    for (const e of events) if (e.type === 'swarm_task_complete') completions.set(String(e.data.task_key), (completions.get(String(e.data.task_key)) ?? 0) + 1);
    expect(completions.size).toBe(100);
    expect([...completions.values()].every((n) => n === 1)).toBe(true);
    expect(events.filter((e) => e.type === 'swarm_task_failed' || e.type === 'swarm_task_skipped')).toEqual([]);
    expect(peakRunning(events)).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(peakRunning(events)).toBe(MAX_CONCURRENT);
    // Each task's dependencies completed before it started.
    const position = (type: string, key: string) => events.findIndex((e) => e.type === type && e.data.task_key === key);
    for (const task of tasks) {
      for (const dependency of task.dependencies) expect(position('swarm_task_complete', dependency)).toBeLessThan(position('swarm_task_started', task.key));
    }

    // The stream shows exactly the stored swarm events, once each, in the store's order.
    const stream = await followSwarm(gateway, token, launched.swarm_id);
    await waitForSwarmEvent(stream, 'swarm_completed');
    const streamed = parseEvents(stream).filter((e) => e.type.startsWith('swarm_'));
    stream.close();
    const ids = stream.events.filter((e) => e.event.startsWith('swarm_')).map((e) => (JSON.parse(e.data) as { id: string }).id);
    expect(ids).toEqual(stored.rows.map((r) => r.id));
    expect(streamed).toHaveLength(stored.rows.length);
  });
});
