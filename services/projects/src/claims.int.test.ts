import { CadreError, projectCreate, taskClaim, taskCreate, taskGet, taskRelease } from '@cadre/proto';
import { eventually, promValue } from '@cadre/testing';
import { exposition } from '@cadre/runtime';
import { startHarness, type Harness } from './test-support/harness';

describe.each(['nats', 'embedded'] as const)('claims on two replicas of the projects service (%s bus)', (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport, replicas: 2 });
  });
  afterAll(async () => h?.dispose());

  it('gives a task to exactly one of 20 concurrent claimants: one 200, nineteen 409s naming the holder, one task_claimed', async () => {
    const project = await h.send(projectCreate, { name: 'Contention' });
    const task = await h.send(taskCreate, { project_id: project.id, title: 'Only one may take this' });
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      h.send(taskClaim, { project_id: project.id, task_id: task.id, agent_id: `agent-${i}` }).then(
        (view) => ({ ok: true as const, holder: view.claim?.holder }),
        (error: unknown) => ({ ok: false as const, error: error as CadreError }),
      )));
    const won = outcomes.filter((o) => o.ok);
    const lost = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
    expect(won).toHaveLength(1);
    const holder = won[0]!.holder;
    expect(holder).toMatch(/^agent:agent-\d+$/);
    expect(lost).toHaveLength(19);
    for (const error of lost) {
      expect(error).toBeInstanceOf(CadreError);
      expect({ code: error.code, status: error.status, holder: (error.details as { holder?: string }).holder }).toEqual({ code: 'task_claimed', status: 409, holder });
    }
    // Both replicas answered claims (the bus spreads the requests over the queue group).
    for (const replica of h.replicas) {
      const text = await exposition([replica.metrics.registry]);
      const answered = (outcome: string) => promValue(text, 'cadre_handler_duration_seconds_count', { subject: taskClaim.subject, outcome }) ?? 0;
      expect(answered('ok') + answered('error')).toBeGreaterThan(0);
    }
    const stored = await h.replicas[0]!.context.store.readStream(`task-${task.id}`);
    expect(stored.filter((e) => e.type === 'task_claimed')).toHaveLength(1);
    await eventually(() => expect(h.events.filter((m) => m.json<{ type: string; data: { task_id?: string } }>().type === 'task_claimed')).toHaveLength(1), 10_000);
    expect((await h.send(taskGet, { project_id: project.id, task_id: task.id })).claim?.holder).toBe(holder);
  });

  it('lets a claim expire: after its time another claimant wins, and the expiry is an event', async () => {
    const project = await h.send(projectCreate, { name: 'Expiry' });
    const task = await h.send(taskCreate, { project_id: project.id, title: 'Held for a minute' });
    await h.send(taskClaim, { project_id: project.id, task_id: task.id, agent_id: 'first', ttl_seconds: 60 });
    await expect(h.send(taskClaim, { project_id: project.id, task_id: task.id, agent_id: 'second' })).rejects.toMatchObject({ code: 'task_claimed' });
    h.clock.advance(61_000);
    expect((await h.send(taskGet, { project_id: project.id, task_id: task.id })).claim).toBeNull();
    expect((await h.send(taskClaim, { project_id: project.id, task_id: task.id, agent_id: 'second' })).claim?.holder).toBe('agent:second');
    const types = (await h.replicas[0]!.context.store.readStream(`task-${task.id}`)).map((e) => [e.type, e.data.reason ?? e.data.holder]);
    expect(types).toEqual([['task_created', undefined], ['task_claimed', 'agent:first'], ['task_claim_released', 'expired'], ['task_claimed', 'agent:second']]);
    // A claim nobody takes over is released by the sweeper once its time has passed.
    await h.send(taskClaim, { project_id: project.id, task_id: task.id, agent_id: 'second', ttl_seconds: 30 });
    h.clock.advance(31_000);
    await eventually(async () => expect((await h.replicas[0]!.context.store.readStream(`task-${task.id}`)).map((e) => e.type).slice(-2))
      .toEqual(['task_claimed', 'task_claim_released']), 10_000, 50);
    await h.send(taskClaim, { project_id: project.id, task_id: task.id, agent_id: 'second' });
    // Released by its holder (an agent names itself), or by the owner whoever holds it.
    await expect(h.send(taskRelease, { project_id: project.id, task_id: task.id, agent_id: 'first' })).rejects.toMatchObject({ code: 'task_not_claimed' });
    expect((await h.send(taskRelease, { project_id: project.id, task_id: task.id })).claim).toBeNull();
  });
});
