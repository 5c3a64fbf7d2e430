import type { RunView } from '@cadre/proto';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { startSystem, TRANSPORTS, type System } from '../support/system';

interface RunList { readonly runs: ReadonlyArray<{ readonly id: string; readonly task?: string; readonly task_description?: string }> }

/**
 * `Idempotency-Key` on commands: a client that retries a create (after a timeout, a dropped
 * connection, a crash) gets the first answer again and the command runs once, whichever replica
 * each attempt reaches.
 */
describe.each(TRANSPORTS)('Idempotency-Key on the %s system', (transport) => {
  let system: System;
  let admin: string;
  beforeAll(async () => {
    system = await startSystem({ transport, orchestration: {} });
    // On NATS two replicas of runs take the attempts.
    if (transport === 'nats') await system.addReplica('runs');
    admin = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(() => system?.stop());

  const create = (token: string, key: string | undefined, task: string) => call<RunView & { code?: string; error?: string }>(system.baseUrl, 'POST', '/v1/runs', {
    token, body: { pipeline_id: 'demo', task_description: task }, ...(key !== undefined ? { headers: { 'idempotency-key': key } } : {}),
  });
  const runsWith = async (token: string, task: string): Promise<number> => {
    const list = await call<RunList>(system.baseUrl, 'GET', '/v1/runs?limit=200', { token });
    const bodies = await Promise.all(list.body.runs.map((r) => call<RunView>(system.baseUrl, 'GET', `/v1/runs/${r.id}`, { token })));
    return bodies.filter((b) => b.body.task_description === task).length;
  };

  it('answers a retried create with the first answer, and creates one run', async () => {
    const task = `retried ${transport}`;
    const first = await create(admin, `key-seq-${transport}`, task);
    const again = await create(admin, `key-seq-${transport}`, task);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(await runsWith(admin, task)).toBe(1);
    // Without a key, the same request is a new run.
    expect((await create(admin, undefined, task)).body.id).not.toBe(first.body.id);
  });

  it('runs the command once when attempts with one key arrive at once', async () => {
    const task = `parallel ${transport}`;
    const answers = await Promise.all(Array.from({ length: 12 }, () => create(admin, `key-par-${transport}`, task)));
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    // The others were told to retry while the first was being answered.
    for (const other of answers.filter((a) => a.status !== 201)) {
      expect(other.status).toBe(409);
      expect(other.headers.get('retry-after')).toBe('1');
    }
    expect((await create(admin, `key-par-${transport}`, task)).body.id).toBe(created[0]!.body.id);
    expect(await runsWith(admin, task)).toBe(1);
  });

  it('refuses a key reused for another request, keeps keys per caller, and refuses a malformed key', async () => {
    await create(admin, `key-other-${transport}`, 'one request');
    const reused = await create(admin, `key-other-${transport}`, 'another request');
    expect(reused.status).toBe(422);
    expect(reused.body.error).toMatch(/Idempotency-Key/);
    expect(await runsWith(admin, 'another request')).toBe(0);

    const member = (await createMember(system.baseUrl, admin, `idem-${transport}@example.com`)).tokens.access_token;
    const mine = await create(member, `key-other-${transport}`, 'one request');
    expect(mine.status).toBe(201);
    expect(await runsWith(member, 'one request')).toBe(1);

    expect((await create(admin, 'has spaces in it', 'x')).status).toBe(400);
  });
});
