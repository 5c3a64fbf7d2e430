import { join } from 'node:path';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { projectsService } from '@cadre/projects';
import { setupAdmin } from '../support/auth';
import { cliRunner, ROOT } from '../support/cli';
import { startSystem, type System } from '../support/system';



describe('the cadre CLI on projects and tasks', () => {
  let system: System;
  let env: NodeJS.ProcessEnv;
  const { cadre, json } = cliRunner(() => env);

  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', registry: checkRegistry([identityService, projectsService]) });
    const token = (await setupAdmin(system.baseUrl)).access_token;
    env = { ...process.env, CADRE_URL: system.baseUrl, CADRE_TOKEN: token, CADRE_CONFIG: join(ROOT, '.no-such-cadre-config.json') };
  });
  afterAll(() => system?.stop());

  it('creates, lists and shows projects, and adds, lists, claims and moves tasks', async () => {
    const project = await json<{ id: string; name: string }>('projects', 'create', '--name', 'CLI board', '--repository', 'git@github.com:example/app.git');
    expect(project.name).toBe('CLI board');
    expect((await cadre('projects', 'list')).stdout).toContain('CLI board');
    const a = await json<{ id: string; key: string }>('tasks', 'add', project.id, '--title', 'First', '--priority', 'P1', '--label', 'backend,api');
    const b = await json<{ id: string; dependencies: string[] }>('tasks', 'add', project.id, '--title', 'Second', '--depends-on', a.id);
    expect(b.dependencies).toEqual([a.id]);
    const claimed = await cadre('tasks', 'claim', project.id, a.id, '--agent', 'eric', '--ttl', '600');
    expect([claimed.code, claimed.stdout]).toEqual([0, expect.stringContaining('claimed by agent:eric')]);
    const taken = await cadre('tasks', 'claim', project.id, a.id);
    expect([taken.code, taken.stderr]).toEqual([1, expect.stringContaining('[task_claimed]')]);
    expect((await cadre('tasks', 'move', project.id, a.id, 'ready')).stdout).toContain('is ready');
    const refused = await cadre('tasks', 'move', project.id, a.id, 'done');
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('[transition_not_allowed]')]);
    const listed = await json<{ tasks: Array<{ key: string; status: string }> }>('tasks', 'list', project.id, '--label', 'api');
    expect(listed.tasks.map((t) => [t.key, t.status])).toEqual([[a.key, 'ready']]);
    const shown = await cadre('projects', 'show', project.id);
    expect(shown.stdout).toMatch(/Tasks\s+2/);
    expect(shown.stdout).toContain('agent:eric');
    expect((await cadre('tasks', 'claim', project.id)).code).toBe(2);
  });
});
