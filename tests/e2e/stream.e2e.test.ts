import { eventually } from '@cadre/testing';
import { createApiKey, createMember, setupAdmin } from '../support/auth';
import { publishMany, storedSeqs, type TestEvent } from '../support/events';
import { call } from '../support/http';
import { metricValue } from '../support/metrics';
import { followStream, openStream } from '../support/sse';
import { openStalledStream } from '../support/stall';
import { startSystem, TRANSPORTS, type System } from '../support/system';

const stepQueued = (run: string, padding = '', owner?: string) => (i: number): TestEvent => ({
  domain: 'runs', type: 'step_queued', scope: run, data: { run_id: run, step_id: `s${i}`, attempt: 1, ...(padding ? { padding } : {}) },
  ...(owner !== undefined ? { owner } : {}),
});

describe.each(TRANSPORTS)('the event stream on the %s system', (transport) => {
  let system: System;
  let admin: string;
  beforeAll(async () => {
    system = await startSystem({ transport, env: { SSE_CLIENT_BUFFER: '1mb' } });
    admin = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(() => system.stop());

  it('resumes with Last-Event-ID 20 times while 10,000 events are produced: ids increase, every event once, none missing', async () => {
    const start = await system.bus.events.lastSeq();
    let final: number | undefined;
    const producing = publishMany(system.bus, 10_000, stepQueued(`run-${transport}-resume`), 32).then((seqs) => {
      final = seqs.at(-1);
      return seqs;
    });
    const following = followStream(system.baseUrl, {
      token: admin, startAfter: start, resumes: 20,
      eventsPerConnection: () => 150 + Math.floor(Math.random() * 300),
      pauseMs: () => Math.floor(Math.random() * 40),
      finalSeq: () => final,
    });
    const [published, followed] = await Promise.all([producing, following]);
    expect(followed.resumes).toBe(20);
    const ids = followed.ids;
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    // Compared with the store: exactly the events after the starting point, each once.
    expect(ids).toEqual(await storedSeqs(system.bus, start + 1, final!));
    const seen = new Set(ids);
    expect(published.filter((seq) => !seen.has(seq))).toEqual([]);
    // Both ways of resuming were taken: replaying a backlog, and joining the live feed at once.
    expect(await metricValue(system.gateway, 'cadre_sse_resumes_total', { path: 'replay' })).toBeGreaterThan(0);
  });

  it('drops a client that never reads, while a reading client still gets every event', async () => {
    const droppedBefore = system.gateway.sseStats().dropped;
    const start = await system.bus.events.lastSeq();
    const stalled = await openStalledStream(system.baseUrl, admin);
    await eventually(() => expect(system.gateway.sseStats().clients).toBeGreaterThanOrEqual(1));
    let final: number | undefined;
    const began = Date.now();
    // The reader is live before the events come: had it joined while they were produced, its
    // replay would race the live tail held for it (bounded like a slow client's bytes), which is
    // the resume test's matter, not this one's.
    const reading = followStream(system.baseUrl, { token: admin, startAfter: start, resumes: 0, eventsPerConnection: () => 0, pauseMs: () => 0, finalSeq: () => final });
    await eventually(() => {
      const stats = system.gateway.sseStats();
      expect(stats.clients).toBeGreaterThanOrEqual(2);
      expect(stats.catchingUp).toBe(0);
    });
    // 3,000 events of 4 KB: more than the kernel's socket buffers and the 1 MB bound together.
    const producing = publishMany(system.bus, 3000, stepQueued(`run-${transport}-big`, 'x'.repeat(4000)), 16).then((seqs) => (final = seqs.at(-1)));
    const [, read] = await Promise.all([producing, reading]);
    console.log(`${transport}: reader got 3,000 × 4 KB events in ${Date.now() - began} ms beside a stalled client`);
    expect(read.ids).toEqual(await storedSeqs(system.bus, start + 1, final!));
    expect(read.serverEnds).toBe(0);
    await eventually(() => expect(system.gateway.sseStats().dropped).toBe(droppedBefore + 1));
    stalled.socket.destroy();
  });

  it('delivers only what the filters ask for, live and when resuming', async () => {
    const start = await system.bus.events.lastSeq();
    const runA = `run-${transport}-a`;
    const byRun = await openStream(system.baseUrl, { token: admin, query: { run_id: runA } });
    const byTypes = await openStream(system.baseUrl, { token: admin, query: { types: 'run_created,run_complete' } });
    const both = await openStream(system.baseUrl, { token: admin, query: { run_id: runA, types: 'step_queued' } });
    const mixed: TestEvent[] = [
      stepQueued(runA)(1),
      { domain: 'runs', type: 'run_created', scope: runA, data: { run_id: runA, pipeline_id: 'p', task_description: 't' } },
      stepQueued('run-other')(2),
      { domain: 'runs', type: 'run_complete', scope: 'run-other', data: { run_id: 'run-other', outputs: {} } },
      { domain: 'swarms', type: 'swarm_task_started', scope: 'sw-1', data: { swarm_id: 'sw-1', task_id: 't' } },
      stepQueued(runA)(3),
    ];
    const seqs = await publishMany(system.bus, mixed.length, (i) => mixed[i]!, 1);
    const expectTypes = (stream: Awaited<ReturnType<typeof openStream>>, types: string[]) =>
      eventually(() => expect(stream.events.map((e) => e.event)).toEqual(types));
    await expectTypes(byRun, ['step_queued', 'run_created', 'step_queued']);
    await expectTypes(byTypes, ['run_created', 'run_complete']);
    await expectTypes(both, ['step_queued', 'step_queued']);
    expect(both.events.map((e) => e.id)).toEqual([seqs[0], seqs[5]]);
    // The same filters on a resumed stream take the replay path, with the subject filter on the bus.
    const resumed = await openStream(system.baseUrl, { token: admin, lastEventId: start, query: { run_id: runA, types: 'step_queued' } });
    await expectTypes(resumed, ['step_queued', 'step_queued']);
    for (const stream of [byRun, byTypes, both, resumed]) stream.close();
  });

  it('shows identity events to admins only', async () => {
    const member = await createMember(system.baseUrl, admin, `member-${transport}@example.com`);
    const start = await system.bus.events.lastSeq();
    const asMember = await openStream(system.baseUrl, { token: member.tokens.access_token, lastEventId: start - 5 });
    const asAdmin = await openStream(system.baseUrl, { token: admin, lastEventId: start - 5 });
    // Run events are their owner's: the member sees the one they own, not another user's.
    await publishMany(system.bus, 1, stepQueued('run-someone-else', '', 'someone-else'), 1);
    await publishMany(system.bus, 1, stepQueued('run-visible', '', member.user.id), 1);
    const streamsOf = (stream: typeof asAdmin) => stream.events.filter((e) => e.event === 'step_queued').map((e) => (JSON.parse(e.data) as { stream: string }).stream);
    await eventually(() => expect(streamsOf(asAdmin)).toEqual(expect.arrayContaining(['runs-run-someone-else', 'runs-run-visible'])));
    await eventually(() => expect(streamsOf(asMember)).toContain('runs-run-visible'));
    expect(streamsOf(asMember)).toEqual(['runs-run-visible']);
    expect(asMember.events.filter((e) => ['user_created', 'session_started'].includes(e.event))).toEqual([]);
    expect(asAdmin.events.map((e) => e.event)).toEqual(expect.arrayContaining(['user_created', 'session_started']));
    asMember.close();
    asAdmin.close();
  });

  it('closes a stream promptly when its API key is revoked, and refuses the key afterwards', async () => {
    const key = await createApiKey(system.baseUrl, admin, 'revoked soon');
    const other = await createApiKey(system.baseUrl, admin, 'stays');
    const doomed = await openStream(system.baseUrl, { token: key.key, tokenInQuery: true });
    const kept = await openStream(system.baseUrl, { token: other.key });
    expect(doomed.status).toBe(200);
    const revokedAt = Date.now();
    expect((await call(system.baseUrl, 'DELETE', `/v1/auth/api-keys/${key.id}`, { token: admin })).status).toBe(204);
    expect(await doomed.ended).toBe('server');
    console.log(`${transport}: stream of a revoked key closed ${Date.now() - revokedAt} ms after the revocation`);
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect((await openStream(system.baseUrl, { token: key.key })).status).toBe(401);
    await publishMany(system.bus, 1, stepQueued('run-after-revoke'), 1);
    await eventually(() => expect(kept.events.map((e) => e.event)).toContain('step_queued'));
    kept.close();
  });

  it('closes the streams of a session that logs out and of a user who is deleted', async () => {
    const member = await createMember(system.baseUrl, admin, `leaving-${transport}@example.com`);
    const memberKey = await createApiKey(system.baseUrl, member.tokens.access_token);
    const session = await openStream(system.baseUrl, { token: member.tokens.access_token });
    const keyed = await openStream(system.baseUrl, { token: memberKey.key });
    expect((await call(system.baseUrl, 'POST', '/v1/auth/logout', { token: member.tokens.access_token })).status).toBe(204);
    expect(await session.ended).toBe('server');
    expect((await call(system.baseUrl, 'DELETE', `/v1/users/${member.user.id}`, { token: admin })).status).toBe(204);
    expect(await keyed.ended).toBe('server');
    expect((await call(system.baseUrl, 'GET', '/v1/auth/me', { token: memberKey.key })).status).toBe(401);
  });
});

describe('stream slots on one gateway', () => {
  let system: System;
  let admin: string;
  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', env: { SSE_MAX_CLIENTS: '6', SSE_MAX_CLIENTS_PER_USER: '2', SSE_ADMIN_RESERVE: '2' } });
    admin = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(() => system.stop());

  it('caps the streams of each member, and keeps room for admins when members fill the rest', async () => {
    const alice = (await createMember(system.baseUrl, admin, 'slots-alice@example.com')).tokens.access_token;
    const bob = (await createMember(system.baseUrl, admin, 'slots-bob@example.com')).tokens.access_token;
    const carol = (await createMember(system.baseUrl, admin, 'slots-carol@example.com')).tokens.access_token;
    const open = await Promise.all([openStream(system.baseUrl, { token: alice }), openStream(system.baseUrl, { token: alice })]);
    expect(open.map((s) => s.status)).toEqual([200, 200]);
    const third = await openStream(system.baseUrl, { token: alice });
    expect(third.status).toBe(429);
    expect(third.errorBody).toMatchObject({ code: 'rate_limited' });

    open.push(await openStream(system.baseUrl, { token: bob }), await openStream(system.baseUrl, { token: bob }));
    // 4 of 6 taken; the last 2 are the admins'.
    expect((await openStream(system.baseUrl, { token: carol })).status).toBe(503);
    const admins = [await openStream(system.baseUrl, { token: admin }), await openStream(system.baseUrl, { token: admin })];
    expect(admins.map((s) => s.status)).toEqual([200, 200]);
    expect((await openStream(system.baseUrl, { token: admin })).status).toBe(503);

    // A closed stream gives its slot back to its holder.
    open[0]!.close();
    admins[0]!.close();
    await eventually(async () => {
      const again = await openStream(system.baseUrl, { token: alice });
      expect(again.status).toBe(200);
      open.push(again);
    });
    for (const stream of [...open, ...admins]) stream.close();
  });
});
