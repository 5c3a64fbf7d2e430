import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  CadreError, ConcurrencyError, UnavailableError, ValidationError, assertSubject, assertSubjectFilter,
  createEventRegistry, defineCommand, defineEvent, EventRegistry, eventJsonSchemas, eventSubject, parseOrThrow,
  scopeFilter, subjectMatcher, subjectMatches, toCadreError, allEvents, type EventDefinition,
  domainFilter, eventFilter, eventTypeFilter, eventTypePrefix, llmCall, stepQueued,
} from '@cadre/proto';
import * as activityContracts from './activity';
import * as adminContracts from './admin';
import * as agentsContracts from './agents';
import * as busContracts from './bus';
import * as gatewayContracts from './gateway';
import * as identityContracts from './identity';
import * as runsContracts from './runs';
import * as swarmsContracts from './swarms';
import * as voiceContracts from './voice';
import * as projectsContracts from './projects';
import * as memoryContracts from './memory';
import * as knowledgeContracts from './knowledge';

describe('errors', () => {
  it('survive the wire with their class, code, status and retryable flag', () => {
    const sent = new ConcurrencyError('stream moved', { current: 3 });
    const received = CadreError.fromBody(JSON.parse(JSON.stringify(sent.toBody())));
    expect(received).toBeInstanceOf(ConcurrencyError);
    expect(received.code).toBe('concurrency_conflict');
    expect(received.status).toBe(409);
    expect(received.retryable).toBe(true);
    expect(received.details).toEqual({ current: 3 });
  });

  it('turn an unknown wire code into an internal error', () => {
    const received = CadreError.fromBody({ code: 'no_such_code', message: 'x' });
    expect(received.code).toBe('internal');
    expect(received.status).toBe(500);
  });

  it('hide the internals of unexpected errors', () => {
    const wrapped = toCadreError(new Error('password=hunter2 at db.ts:12'));
    expect(wrapped.code).toBe('internal');
    expect(wrapped.message).not.toContain('hunter2');
    expect(toCadreError(new UnavailableError('down'))).toBeInstanceOf(UnavailableError);
  });
});

describe('subjects', () => {
  it.each(['evt.runs.run_created.r1', 'runs.cmd.create', '$SRV.PING'])('accept %s', (s) => {
    expect(() => assertSubject(s)).not.toThrow();
  });

  it.each([
    ['empty', ''], ['an empty token', 'a..b'], ['a wildcard', 'a.*'], ['a tail wildcard', 'a.>'],
    ['a space', 'has space'], ['a trailing dot', 'a.b.'], ['600 characters', 'x'.repeat(600)],
  ])('reject a subject with %s', (_label, subject) => {
    expect(() => assertSubject(subject)).toThrow(ValidationError);
  });

  it('accept wildcards only in filters and `>` only last', () => {
    expect(() => assertSubjectFilter('evt.*.run_created.>')).not.toThrow();
    expect(() => assertSubjectFilter('evt.>.x')).toThrow(ValidationError);
  });

  it('match wildcards like NATS does', () => {
    expect(subjectMatches('evt.>', 'evt.runs.x.y')).toBe(true);
    expect(subjectMatches('evt.>', 'evt')).toBe(false);
    expect(subjectMatches('evt.*.x', 'evt.a.x')).toBe(true);
    expect(subjectMatches('evt.*.x', 'evt.a.b.x')).toBe(false);
    expect(subjectMatches('evt.a', 'evt.a.b')).toBe(false);
    expect(subjectMatches(scopeFilter('run-1'), eventSubject('runs', 'step_started', 'run-1'))).toBe(true);
    expect(subjectMatches(scopeFilter('run-1'), eventSubject('runs', 'step_started', 'run-2'))).toBe(false);
  });

  it('match the same with a filter read once (subjectMatcher) as with subjectMatches', () => {
    const filters = ['evt.run.*', 'evt.run.>', 'evt.*.r1', 'evt.>', '*.run.*', '>', 'evt.ru_.*', 'evt.run.$x+y', 'evt.*.*.step', 'evt.*.b.>', 'evt', '*', 'evt.a.b.c'];
    const subjects = ['evt.run.r1', 'evt.run.r1.step', 'evt.run', 'evt', 'evtX.run.r1', 'evt.ru_.r1', 'evt.run.$x+y', 'evt.a.b.c', 'evt.a.b', 'x', 'evt.runner.r1'];
    for (const filter of filters) {
      const matches = subjectMatcher(filter);
      for (const subject of subjects) expect([filter, subject, matches(subject)]).toEqual([filter, subject, subjectMatches(filter, subject)]);
    }
    expect(subjectMatcher('evt.run.>')('evt.runner.r1')).toBe(false);
    expect(subjectMatcher('evt.>')('evt')).toBe(false);
  });

  it('build event filters from a domain, a type or a scope', () => {
    expect(domainFilter('identity')).toBe('evt.identity.>');
    expect(eventTypeFilter(llmCall)).toBe('evt.agents.llm_call.>');
    expect(eventTypePrefix(stepQueued)).toBe('evt.runs.step_queued');
    expect(eventFilter({})).toBe('evt.*.*.*');
    expect(eventFilter({ type: 'run_created', scope: 'a.b' })).toBe('evt.*.run_created.a_b');
    expect(scopeFilter('run-1')).toBe('evt.*.*.run-1');
    for (const filter of [domainFilter('runs'), eventTypeFilter(stepQueued), eventFilter({ domain: 'runs' })]) {
      expect(() => assertSubjectFilter(filter)).not.toThrow();
      expect(subjectMatches(filter, eventSubject('runs', 'step_queued', 'run-1'))).toBe(true);
      expect(subjectMatches(filter, eventSubject('agents', 'step_queued', 'run-1'))).toBe(false);
    }
  });

  it('make ids with dots or spaces safe as one token', () => {
    expect(eventSubject('runs', 'run_created', 'a.b c')).toBe('evt.runs.run_created.a_b_c');
  });
});

describe('event registry', () => {
  const v2 = defineEvent({
    type: 'thing_renamed', domain: 'test', version: 2, description: 'test',
    data: z.object({ new_name: z.string() }),
    upcasters: { 1: (data) => ({ new_name: data.name }) },
  });

  it('knows the seed event names, all lower case', () => {
    const registry = createEventRegistry();
    for (const type of ['run_created', 'step_queued', 'agent_output', 'tool_call_start', 'swarm_task_complete', 'llm_call', 'activity']) {
      expect(registry.has(type)).toBe(true);
    }
    expect(registry.types().every((t) => t === t.toLowerCase())).toBe(true);
  });

  it('rejects unknown types and bad data with the failing field named', () => {
    const registry = createEventRegistry();
    expect(() => registry.validate('no_such_event', {})).toThrow(ValidationError);
    try {
      registry.validate('run_created', { run_id: 'r', pipeline_id: 5 });
      throw new Error('should have failed');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect(JSON.stringify((error as ValidationError).details)).toContain('pipeline_id');
    }
  });

  it('upcasts stored data of an older version', () => {
    const registry = new EventRegistry([v2]);
    expect(registry.upcast('thing_renamed', { name: 'a' }, 1)).toEqual({ new_name: 'a' });
    expect(registry.upcast('thing_renamed', { new_name: 'b' }, 2)).toEqual({ new_name: 'b' });
  });

  it('refuses a type defined twice with different definitions', () => {
    expect(() => new EventRegistry([v2, { ...v2 }])).toThrow(/defined twice/);
  });

  it('generates a JSON Schema for every event', () => {
    const schemas = eventJsonSchemas(allEvents);
    expect(Object.keys(schemas).sort()).toEqual(createEventRegistry().types());
    expect(schemas.run_created).toMatchObject({ type: 'object', required: expect.arrayContaining(['run_id', 'pipeline_id']) });
  });
});

describe('commands and queries', () => {
  it('get subjects from their domain and name, and validate input', () => {
    const create = defineCommand({
      domain: 'runs', name: 'create', description: 'x',
      request: z.object({ pipeline_id: z.string() }), reply: z.object({ id: z.string() }),
    });
    expect(create.subject).toBe('runs.cmd.create');
    expect(parseOrThrow(create.request, { pipeline_id: 'p' })).toEqual({ pipeline_id: 'p' });
    expect(() => parseOrThrow(create.request, { pipeline_id: 1 })).toThrow(ValidationError);
    expect(() => defineCommand({ domain: 'Runs!', name: 'x', description: '', request: z.any(), reply: z.any() })).toThrow();
  });
});

describe('contracts by domain', () => {
  // Every folder of proto/src that holds a domain's contracts, by the folder's name.
  const folders: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
    activity: activityContracts, admin: adminContracts, agents: agentsContracts, bus: busContracts,
    gateway: gatewayContracts, identity: identityContracts, runs: runsContracts, swarms: swarmsContracts,
    voice: voiceContracts,
    projects: projectsContracts,
    memory: memoryContracts,
    knowledge: knowledgeContracts,
  };
  const isEvent = (value: unknown): value is EventDefinition =>
    typeof value === 'object' && value !== null && 'type' in value && 'domain' in value && 'version' in value && 'data' in value;

  it('know every folder of contracts', () => {
    const shared = ['http'];
    const found = readdirSync(__dirname, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !shared.includes(entry.name) && existsSync(join(__dirname, entry.name, 'index.ts')))
      .map((entry) => entry.name);
    expect(found.sort()).toEqual(Object.keys(folders).sort());
  });

  it('define every event in the folder of its domain', () => {
    const misplaced = allEvents
      .filter((event) => !Object.values(folders[event.domain] ?? {}).includes(event))
      .map((event) => `${event.type} (domain ${event.domain})`);
    expect(misplaced).toEqual([]);
  });

  it('define no event of another domain in a folder', () => {
    const strays = Object.entries(folders).flatMap(([folder, exports]) =>
      Object.values(exports).filter(isEvent).filter((event) => event.domain !== folder).map((event) => `${event.type} in ${folder}/`));
    expect(strays).toEqual([]);
  });

  it('list every event a folder defines in allEvents, once', () => {
    const defined = new Set(Object.values(folders).flatMap((exports) => Object.values(exports).filter(isEvent)));
    expect(new Set(allEvents)).toEqual(defined);
    expect(allEvents).toHaveLength(defined.size);
  });
});
