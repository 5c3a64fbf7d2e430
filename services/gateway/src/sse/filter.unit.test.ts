import type { StreamMessage } from '@cadre/bus';
import { eventSubject, type Principal } from '@cadre/proto';
import { buildFilter } from './filter';
import { sseFrame, toFeedMessage } from './message';

const admin: Principal = { kind: 'user', user_id: 'u1', role: 'admin', credential_id: 's1' };
const member: Principal = { ...admin, role: 'member' };

function message(seq: number, domain: string, type: string, scope: string, data: Record<string, unknown>, owner?: string) {
  const meta = owner === undefined ? {} : { owner };
  const stored: StreamMessage = {
    seq, subject: eventSubject(domain, type, scope), msgId: `m${seq}`, headers: {}, time: new Date(),
    data: Buffer.from(JSON.stringify({ type, data, meta })), json: () => ({ type, data, meta }) as never,
  };
  return toFeedMessage(stored);
}

describe('SSE filters', () => {
  const runEvent = message(1, 'runs', 'step_started', 'run-1', { run_id: 'run-1', step_id: 's', agent_id: 'eric', session_id: 'sess-9' });
  const otherRun = message(2, 'runs', 'run_created', 'run-2', { run_id: 'run-2' });
  const swarmEvent = message(3, 'swarms', 'swarm_task_started', 'sw-1', { swarm_id: 'sw-1', task_id: 't' });
  const identityEvent = message(4, 'identity', 'user_created', 'u2', { user_id: 'u2' });

  it('narrows a run filter on the subject and checks the same on each event', () => {
    const filter = buildFilter({ run_id: 'run-1' }, admin);
    expect(filter.subject).toBe('evt.*.*.run-1');
    expect([runEvent, otherRun, swarmEvent].map((m) => filter.matches(m))).toEqual([true, false, false]);
  });

  it('puts a single type in the subject and keeps a list in process', () => {
    expect(buildFilter({ types: 'run_created' }, admin).subject).toBe('evt.*.run_created.*');
    const several = buildFilter({ types: 'run_created,swarm_task_started', swarm_id: 'sw-1' }, admin);
    expect(several.subject).toBeUndefined();
    expect([runEvent, otherRun, swarmEvent].map((m) => several.matches(m))).toEqual([false, false, true]);
  });

  it('narrows a project filter on the subject: the events of its board only', () => {
    const taskEvent = message(7, 'projects', 'task_claimed', 'p-1', { project_id: 'p-1', task_id: 't-1', holder: 'agent:a' });
    const otherProject = message(8, 'projects', 'task_created', 'p-2', { project_id: 'p-2', task_id: 't-2' });
    const filter = buildFilter({ project_id: 'p-1' }, admin);
    expect(filter.subject).toBe('evt.*.*.p-1');
    expect([taskEvent, otherProject, runEvent].map((m) => filter.matches(m))).toEqual([true, false, false]);
  });

  it('gives a swarm filter the swarm\'s events and those of its tasks\' runs (their data names the swarm)', () => {
    const taskRun = message(5, 'runs', 'step_started', 'run-7', { run_id: 'run-7', step_id: 'execute', swarm_id: 'sw-1' });
    const taskOutput = message(6, 'agents', 'agent_output', 'run-7', { run_id: 'run-7', step_id: 'execute', swarm_id: 'sw-1', chunk: 'hi' });
    const filter = buildFilter({ swarm_id: 'sw-1' }, admin);
    expect([runEvent, otherRun, swarmEvent, taskRun, taskOutput].map((m) => filter.matches(m))).toEqual([false, false, true, true, true]);
    expect(buildFilter({ swarm_id: 'sw-2' }, admin).matches(taskRun)).toBe(false);
  });

  it('matches agents and sessions on the event data', () => {
    expect(buildFilter({ agent_id: 'eric' }, admin).matches(runEvent)).toBe(true);
    expect(buildFilter({ agent_id: 'finn' }, admin).matches(runEvent)).toBe(false);
    expect(buildFilter({ session_id: 'sess-9' }, admin).matches(runEvent)).toBe(true);
    expect(buildFilter({ session_id: 'sess-9' }, admin).subject).toBeUndefined();
  });

  it('shows identity events to admins only', () => {
    const visibility = { identity: 'admin', runs: 'owner' } as const;
    expect(buildFilter({}, admin, visibility).matches(identityEvent)).toBe(true);
    expect(buildFilter({}, member, visibility).matches(identityEvent)).toBe(false);
  });

  it('shows a member the events of an owner-visible domain that they own, and no one else\'s', () => {
    const visibility = { runs: 'owner', swarms: 'public' } as const;
    const mine = message(5, 'runs', 'run_created', 'run-5', { run_id: 'run-5' }, 'u1');
    const theirs = message(6, 'runs', 'run_created', 'run-6', { run_id: 'run-6' }, 'u2');
    const other: Principal = { ...member, user_id: 'u2' };
    expect([mine, theirs, runEvent].map((m) => buildFilter({}, member, visibility).matches(m))).toEqual([true, false, false]);
    expect([mine, theirs, runEvent].map((m) => buildFilter({}, other, visibility).matches(m))).toEqual([false, true, false]);
    expect([mine, theirs, runEvent].map((m) => buildFilter({}, admin, visibility).matches(m))).toEqual([true, true, true]);
    // A public domain is everyone's; a domain no service declares, and the bus's own, are admins' only.
    expect(buildFilter({}, member, visibility).matches(swarmEvent)).toBe(true);
    expect(buildFilter({}, member, {}).matches(swarmEvent)).toBe(false);
    const deadLetter = message(7, 'bus', 'job_dead_lettered', 'steps', { queue: 'steps' }, 'u1');
    expect(buildFilter({}, member, { bus: 'public' }).matches(deadLetter)).toBe(false);
    expect(buildFilter({}, admin, {}).matches(deadLetter)).toBe(true);
  });
});

describe('SSE frames', () => {
  it('carries the sequence as id and the type as event', () => {
    expect(sseFrame(42, 'run_created', '{"a":1}')).toBe('id: 42\nevent: run_created\ndata: {"a":1}\n\n');
  });

  it('splits a payload spanning lines into several data lines', () => {
    expect(sseFrame(1, 't', '{\n"a": 1\r\n}')).toBe('id: 1\nevent: t\ndata: {\ndata: "a": 1\ndata: }\n\n');
  });
});
