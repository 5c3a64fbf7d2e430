import { connectNatsBus, type Bus, type StreamMessage } from '@cadre/bus';
import { startDefinedService, type DefinedService } from '@cadre/kit';
import { createLogger, silentLogger } from '@cadre/logging';
import { PRINCIPAL_HEADER, REQUEST_ID_HEADER, type MessageDefinition, type Principal } from '@cadre/proto';
import { call } from '@cadre/runtime';
import { startTestbed, type Testbed } from '@cadre/testbed';
import type { z } from 'zod';
import type { ProjectsContext } from '../context';
import { projectsService } from '../service';

export const ADMIN: Principal = { kind: 'user', user_id: 'u-admin', role: 'admin', credential_id: 's-admin' };
export const ALICE: Principal = { kind: 'user', user_id: 'u-alice', role: 'member', credential_id: 's-alice' };
export const BOB: Principal = { kind: 'user', user_id: 'u-bob', role: 'member', credential_id: 's-bob' };

/** A clock the test moves. */
export interface TestClock {
  (): Date;
  advance(ms: number): void;
}

export function testClock(start = Date.UTC(2026, 11, 6)): TestClock {
  let now = start;
  return Object.assign(() => new Date(now), { advance: (ms: number) => void (now += ms) });
}

/** The projects service (one or more replicas, each with its own bus connection on NATS) on a fresh database. */
export interface Harness {
  readonly bed: Testbed;
  readonly replicas: Array<DefinedService<ProjectsContext>>;
  readonly clock: TestClock;
  /** Every event on the bus so far. */
  readonly events: StreamMessage[];
  send<D extends MessageDefinition>(definition: D, payload: z.input<D['request']>, principal?: Principal, headers?: Record<string, string>): Promise<z.infer<D['reply']>>;
  dispose(): Promise<void>;
}

export async function startHarness(options: { readonly transport?: 'embedded' | 'nats'; readonly replicas?: number } = {}): Promise<Harness> {
  const bed = await startTestbed({ name: 'cadre_projects', transport: options.transport, pollIntervalMs: 100 });
  const clock = testClock(Date.now());
  const buses: Bus[] = [];
  const replicas: Array<DefinedService<ProjectsContext>> = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    const bus = bed.nats !== undefined ? await connectNatsBus({ servers: bed.nats.url, streamName: `EVENTS_${bed.database.name}`, jobsStreamName: `JOBS_${bed.database.name}` }) : bed.bus;
    if (bus !== bed.bus) buses.push(bus);
    replicas.push(await startDefinedService(projectsService, { bus, pool: bed.pool, logger: process.env.PROJECTS_TEST_LOG ? createLogger({ service: 'projects', level: 'warn' }) : silentLogger(), instance: `projects-${i + 1}` }, { env: { PROJECTS_CLAIM_SWEEP_MS: '100' }, clock }));
  }
  const events: StreamMessage[] = [];
  const watcher = await bed.bus.events.replay({ fromSeq: 1 }, (m) => void events.push(m));
  let requests = 0;
  return {
    bed, replicas, clock, events,
    send: (definition, payload, principal = ALICE, headers = {}) => call(bed.bus, definition, payload, {
      headers: { [REQUEST_ID_HEADER]: `req-${++requests}`, [PRINCIPAL_HEADER]: JSON.stringify(principal), ...headers }, timeoutMs: 15_000,
    }),
    async dispose() {
      await watcher.stop();
      for (const replica of [...replicas].reverse()) await replica.shutdown('test over');
      for (const bus of buses) await bus.drain();
      await bed.bus.drain();
      await bed.dispose();
    },
  };
}
