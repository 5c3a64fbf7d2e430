import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registry } from '@cadre/cadre';
import { eventually } from '@cadre/testing';
import { setupAdmin } from '../support/auth';
import { cliRunner } from '../support/cli';
import { swarmTask } from '../support/swarms';
import { startSystem, type System } from '../support/system';


describe('the cadre CLI with swarms', () => {
  let system: System;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const { cadre, json } = cliRunner(() => env);

  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', registry });
    const token = (await setupAdmin(system.baseUrl)).access_token;
    dir = await mkdtemp(join(tmpdir(), 'cadre-swarms-cli-'));
    const { CADRE_URL: _url, CADRE_TOKEN: _token, ...rest } = process.env;
    env = { ...rest, CADRE_URL: system.baseUrl, CADRE_TOKEN: token, CADRE_CONFIG: join(dir, 'config.json') };
  });
  afterAll(async () => {
    await system?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('launches a swarm from a file, lists, gets and tails it, and cancels another', async () => {
    const file = join(dir, 'swarm.json');
    await writeFile(file, JSON.stringify({ tasks: [swarmTask('a'), swarmTask('b', ['a'])] }));
    const launched = await json<{ swarm_id: string; total_tasks: number }>('swarms', 'launch', '--file', file, '--agent', 'demo-writer', '--max-concurrent', '2');
    expect(launched.total_tasks).toBe(2);

    // Every event of the swarm and its runs, from the start of the stream, until it completes.
    const tail = await cadre('events', 'tail', '--swarm', launched.swarm_id, '--from', '0', '--until', 'swarm_completed', '--json');
    expect(tail.code).toBe(0);
    const types = tail.stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { event: string }).event);
    expect(types.filter((t) => t.startsWith('swarm_'))).toEqual([
      'swarm_created', 'swarm_task_started', 'swarm_task_complete', 'swarm_task_started', 'swarm_task_complete', 'swarm_completed',
    ]);
    expect(types.filter((t) => t === 'run_created')).toHaveLength(2);

    const detail = await cadre('swarms', 'get', launched.swarm_id);
    expect(detail.stdout).toContain(`Swarm     ${launched.swarm_id}`);
    expect(detail.stdout).toMatch(/Status\s+completed \(2 completed; at most 2 at once\)/);
    expect(detail.stdout).toMatch(/^b\s+completed\s+1\s+/m);
    const listed = await cadre('swarms', 'list', '--status', 'completed');
    expect(listed.stdout).toMatch(/^ID\s+AGENT\s+STATUS/);
    expect(listed.stdout).toContain(launched.swarm_id);

    // A swarm of a slow chain, cancelled from the CLI.
    await writeFile(file, JSON.stringify({ agent_id: 'demo-writer', tasks: Array.from({ length: 50 }, (_, i) => swarmTask(`c${i}`, i > 0 ? [`c${i - 1}`] : [])) }));
    const chain = await json<{ swarm_id: string }>('swarms', 'launch', '--file', file);
    const cancelled = await cadre('swarms', 'cancel', chain.swarm_id, '--reason', 'enough');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`Swarm ${chain.swarm_id}: cancelled`));
    await eventually(async () => expect((await json<{ status: string }>('swarms', 'get', chain.swarm_id)).status).toBe('cancelled'));

    const bad = await cadre('swarms', 'launch', '--file', file, '--agent', 'nobody');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("no agent 'nobody'");
  });
});
