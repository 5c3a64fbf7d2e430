import type { RunView } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { waitForRunStatus } from '../support/runs';
import { openStream, type SseStream } from '../support/sse';
import { startSystem, TRANSPORTS, type System } from '../support/system';

interface Listed { runs: Array<{ id: string }>; total: number }
interface Calls { calls: Array<{ id: string; run_id: string | null }>; total: number }

const runIdsOn = (stream: SseStream): Set<string> => new Set(stream.events.flatMap((e) => {
  const data = (JSON.parse(e.data) as { data?: { run_id?: unknown } }).data;
  return typeof data?.run_id === 'string' ? [data.run_id] : [];
}));

describe.each(TRANSPORTS)('what a member may see of another member\'s run (%s)', (transport) => {
  let system: System;
  let admin: string;
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    system = await startSystem({ transport, orchestration: {} });
    admin = (await setupAdmin(system.baseUrl)).access_token;
    alice = (await createMember(system.baseUrl, admin, 'alice@example.com')).tokens.access_token;
    bob = (await createMember(system.baseUrl, admin, 'bob@example.com')).tokens.access_token;
  });
  afterAll(async () => system?.stop());

  it('nothing: every read and command answers 404 as for a run that does not exist, and none of its events reach their stream', async () => {
    const url = system.baseUrl;
    // Streams opened before the runs: live delivery.
    const live = { alice: await openStream(url, { token: alice }), bob: await openStream(url, { token: bob }), admin: await openStream(url, { token: admin }) };
    const create = async (token: string, task: string) => {
      const created = await call<RunView>(url, 'POST', '/v1/runs', { token, body: { pipeline_id: 'demo', task_description: task } });
      expect(created.status).toBe(201);
      return created.body.id;
    };
    const alices = await create(alice, 'alice\'s haiku');
    const bobs = await create(bob, 'bob\'s haiku');
    await waitForRunStatus(url, alice, alices, 'completed', 60_000);
    await waitForRunStatus(url, bob, bobs, 'completed', 60_000);

    const step = (await call<{ steps: Array<{ step_id: string }> }>(url, 'GET', `/v1/steps/${alices}`, { token: alice })).body.steps[0]!.step_id;
    const missing = await call<{ error: string }>(url, 'GET', '/v1/runs/no-such-run', { token: bob });
    expect(missing.status).toBe(404);
    const aliceCalls = await eventually(async () => {
      const calls = await call<Calls>(url, 'GET', `/v1/llm-calls?run_id=${alices}`, { token: alice });
      expect(calls.body.total).toBeGreaterThan(0);
      return calls.body.calls;
    }, 20_000);
    for (const [method, path] of [
      ['GET', `/v1/runs/${alices}`], ['GET', `/v1/steps/${alices}`], ['GET', `/v1/steps/${alices}/${step}`],
      ['GET', `/v1/steps/${alices}/${step}/output`], ['POST', `/v1/runs/${alices}/cancel`], ['POST', `/v1/runs/${alices}/restart`],
      ['GET', `/v1/llm-calls/${aliceCalls[0]!.id}`],
    ] as const) {
      const reply = await call<{ error: string }>(url, method, path, { token: bob });
      expect({ path, status: reply.status }).toEqual({ path, status: 404 });
      // The same words as for a run that does not exist (its id aside).
      expect(reply.body.error.replace(/'[^']*'|"[^"]*"/g, '…')).toBe(path.includes('llm-calls') ? 'no LLM call …' : missing.body.error.replace(/'[^']*'/g, '…'));
    }
    // Lists: Bob's runs and calls only; the run history is internal (admins and the engine).
    const bobsList = await call<Listed>(url, 'GET', '/v1/runs?limit=100', { token: bob });
    expect(bobsList.body.runs.map((r) => r.id)).toEqual([bobs]);
    expect(bobsList.body.total).toBe(1);
    const bobsCalls = await call<Calls>(url, 'GET', '/v1/llm-calls?limit=100', { token: bob });
    expect(new Set(bobsCalls.body.calls.map((c) => c.run_id))).toEqual(new Set([bobs]));
    expect((await call<Calls>(url, 'GET', `/v1/llm-calls?run_id=${alices}`, { token: bob })).body.total).toBe(0);
    expect((await call(url, 'GET', '/v1/internal/run-history', { token: bob })).status).toBe(403);
    expect((await call(url, 'GET', '/v1/internal/run-history', { token: admin })).status).toBe(200);

    // The admin sees and lists both; Alice's own work is unaffected.
    expect((await call<Listed>(url, 'GET', '/v1/runs?limit=100', { token: admin })).body.runs.map((r) => r.id)).toEqual(expect.arrayContaining([alices, bobs]));
    expect((await call(url, 'GET', `/v1/steps/${alices}/${step}/output`, { token: admin })).status).toBe(200);
    expect((await call<RunView>(url, 'GET', `/v1/runs/${alices}`, { token: alice })).body.status).toBe('completed');
    // Her own cancel, sent the plain way (no body at all), is heard: a finished run cannot be cancelled.
    expect((await call(url, 'POST', `/v1/runs/${alices}/cancel`, { token: alice })).status).toBe(409);
    expect((await call<Listed>(url, 'GET', '/v1/runs?limit=100', { token: alice })).body.runs.map((r) => r.id)).toEqual([alices]);

    // The stream: live and replayed from 0, each member sees their own run's events and no other's; the admin both.
    const replay = { alice: await openStream(url, { token: alice, lastEventId: 0 }), bob: await openStream(url, { token: bob, lastEventId: 0 }) };
    for (const [who, mine, theirs] of [['alice', alices, bobs], ['bob', bobs, alices]] as const) {
      for (const stream of [live[who], replay[who]]) {
        await eventually(() => expect(stream.events.map((e) => e.event)).toEqual(expect.arrayContaining(['run_complete', 'llm_call', 'agent_output', 'step_complete'])), 20_000);
        expect(runIdsOn(stream).has(mine)).toBe(true);
        expect(runIdsOn(stream).has(theirs)).toBe(false);
        // Not even the ones with no run id: users, sessions, dead letters.
        expect(stream.events.filter((e) => ['user_created', 'session_started', 'job_dead_lettered'].includes(e.event))).toEqual([]);
      }
    }
    await eventually(() => expect([...runIdsOn(live.admin)]).toEqual(expect.arrayContaining([alices, bobs])), 20_000);
    // A run filter on another's run gives nothing either.
    const filtered = await openStream(url, { token: bob, lastEventId: 0, query: { run_id: alices } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(filtered.events).toEqual([]);
    for (const stream of [...Object.values(live), ...Object.values(replay), filtered]) stream.close();
  });
});
