import { randomUUID } from 'node:crypto';
import { encodeJson } from '@cadre/bus';
import { EventEnvelope, STEP_QUEUE, type DeadLetterDetail, type DeadLetterList, type StepJob } from '@cadre/proto';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { publishEvent } from '../support/events';
import { openStream, type SseStream } from '../support/sse';
import { startSystem, TRANSPORTS, type System } from '../support/system';

const PROMPT = 'You are the reviewer of the confidential merger plan.';
const INPUT = 'Check the figures in the attached term sheet before Friday.';

/** Waits until the stream holds an event with an id of at least `seq`. */
async function readUpTo(stream: SseStream, seq: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!stream.events.some((e) => e.id >= seq)) {
    if (Date.now() > deadline) throw new Error(`stream: no event at or past ${seq}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(TRANSPORTS)('dead letters on the %s system', (transport) => {
  let system: System;
  let adminToken: string;
  let memberToken: string;
  let memberId: string;
  const streams: SseStream[] = [];
  beforeAll(async () => {
    // Two attempts per step job, so a job that keeps failing is given up in about a second.
    system = await startSystem({ transport, orchestration: {}, env: { AGENTS_JOB_MAX_ATTEMPTS: '2' } });
    adminToken = (await setupAdmin(system.baseUrl)).access_token;
    const member = await createMember(system.baseUrl, adminToken);
    memberToken = member.tokens.access_token;
    memberId = member.user.id;
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await system?.stop();
  });

  const open = async (token: string, options: { lastEventId?: number; query?: Record<string, string> } = {}): Promise<SseStream> => {
    const stream = await openStream(system.baseUrl, { token, ...options });
    streams.push(stream);
    expect(stream.status).toBe(200);
    return stream;
  };

  it('tells admins on the stream without the job body, never members, and lets only admins read the letter', async () => {
    const adminLive = await open(adminToken, { query: { types: 'job_dead_lettered' } });
    const memberLive = await open(memberToken);

    // A step job whose run the runs service does not know (as after a lost write): the
    // executor's report that it started is refused on both attempts, and the bus gives it up.
    const job: StepJob = {
      run_id: randomUUID(), step_id: 'review', attempt: 1, agent_id: 'reviewer', model: 'dry-run/echo',
      system_prompt: PROMPT, input: INPUT, outputs: ['verdict'], tools: [], limits: { timeout_seconds: 30, max_turns: 2 },
    };
    const body = encodeJson(job);
    const { jobId } = await system.bus.workQueue(STEP_QUEUE).enqueue(body);

    await adminLive.waitForCount(1);
    const seen = adminLive.events[0]!;
    expect(seen.event).toBe('job_dead_lettered');
    const envelope = EventEnvelope.parse(JSON.parse(seen.data));
    expect(envelope).toMatchObject({
      type: 'job_dead_lettered', stream: `deadletter-${STEP_QUEUE}-${jobId}`, version: 1,
      data: { queue: STEP_QUEUE, job_id: jobId, attempts: 2, reason: expect.stringContaining(job.run_id) },
    });
    expect(Object.keys(envelope.data).sort()).toEqual(['attempts', 'job_id', 'queue', 'reason']);
    for (const secret of ['confidential merger', 'term sheet', Buffer.from(body).toString('base64')]) expect(seen.data).not.toContain(secret);

    // An event of the member's afterwards reaches the member; the dead letter before it never does.
    const mark = await publishEvent(system.bus, {
      domain: 'runs', type: 'step_queued', scope: `run-${transport}-mark`, data: { run_id: `run-${transport}-mark`, step_id: 'mark', attempt: 1 }, owner: memberId,
    });
    expect(mark).toBeGreaterThan(seen.id);
    await readUpTo(memberLive, mark);
    const memberReplay = await open(memberToken, { lastEventId: 0 });
    await readUpTo(memberReplay, mark);
    for (const stream of [memberLive, memberReplay]) {
      expect(stream.events.map((e) => e.event)).not.toContain('job_dead_lettered');
      expect(stream.events.map((e) => e.id)).not.toContain(seen.id);
    }
    // The live stream, opened before the dead letter, and the replay show the member the same events.
    const upToMark = (stream: SseStream) => stream.events.map((e) => e.id).filter((id) => id <= mark);
    expect(upToMark(memberLive)).toContain(mark);
    expect(upToMark(memberReplay)).toEqual(upToMark(memberLive));
    // An admin replaying from the start gets the same event from the store.
    const adminReplay = await open(adminToken, { lastEventId: 0, query: { types: 'job_dead_lettered' } });
    await adminReplay.waitForCount(1);
    expect(adminReplay.events[0]).toEqual(seen);

    // The admin lists the letter and reads it whole; a member may do neither.
    const listed = await call<DeadLetterList>(system.baseUrl, 'GET', `/v1/admin/dead-letters?queue=${STEP_QUEUE}`, { token: adminToken });
    expect(listed.status).toBe(200);
    expect(listed.body.dead_letters).toEqual([
      { queue: STEP_QUEUE, job_id: jobId, attempts: 2, reason: envelope.data.reason, time: envelope.occurredAt },
    ]);
    const letterPath = `/v1/admin/dead-letters/${STEP_QUEUE}/${encodeURIComponent(jobId)}`;
    const letter = await call<DeadLetterDetail>(system.baseUrl, 'GET', letterPath, { token: adminToken });
    expect(letter.status).toBe(200);
    expect(letter.body).toMatchObject({ queue: STEP_QUEUE, job_id: jobId, attempts: 2, time: envelope.occurredAt, body_encoding: 'json', body: job });
    expect(letter.body.reason).toContain(job.run_id);
    expect(letter.body.headers).toEqual(expect.any(Object));

    for (const path of [`/v1/admin/dead-letters?queue=${STEP_QUEUE}`, letterPath]) {
      const member = await call<{ code: string }>(system.baseUrl, 'GET', path, { token: memberToken });
      expect({ path, status: member.status, code: member.body.code }).toEqual({ path, status: 403, code: 'forbidden' });
      expect((await call(system.baseUrl, 'GET', path)).status).toBe(401);
    }
    const unknown = await call<{ code: string }>(system.baseUrl, 'GET', `/v1/admin/dead-letters/${STEP_QUEUE}/no-such-job`, { token: adminToken });
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'not_found' });
  });
});
