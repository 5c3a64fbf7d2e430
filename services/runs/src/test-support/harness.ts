import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { encodeJson, type Bus, type Job, type StreamMessage, type Subscription } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import {
  PRINCIPAL_HEADER, REQUEST_ID_HEADER, STEP_QUEUE, reportStepCompleted, reportStepFailed, reportStepStarted, type MessageDefinition, type Principal,
  type StepJob,
} from '@cadre/proto';
import { call, type Service } from '@cadre/runtime';
import { startTestbed } from '@cadre/testbed';
import type { z } from 'zod';
import { loadRunsConfig, startRuns } from '../index';
import { testPipelines } from './pipelines';

/** What the scripted executor does with a job. */
export type Script = (job: StepJob, delivery: Job) => Promise<
  | { readonly kind: 'complete'; readonly outputs: Record<string, unknown> }
  | { readonly kind: 'fail'; readonly error: string }
  | { readonly kind: 'hang'; readonly until: Promise<unknown> }
>;

export const ADMIN: Principal = { kind: 'user', user_id: 'u-admin', role: 'admin', credential_id: 's-admin' };
export const ALICE: Principal = { kind: 'user', user_id: 'u-alice', role: 'member', credential_id: 's-alice' };
export const BOB: Principal = { kind: 'user', user_id: 'u-bob', role: 'member', credential_id: 's-bob' };

/** The runs service (one or more replicas) on a fresh database and a real bus, and a test executor. */
export interface Harness {
  readonly bus: Bus;
  readonly pool: Pool;
  /** Every event on the bus so far. */
  readonly events: StreamMessage[];
  /** Jobs the executor took, in order. */
  readonly jobs: StepJob[];
  /** Sends a command or query as `principal` (default an admin user, as the gateway would say). */
  send<D extends MessageDefinition>(definition: D, payload: z.input<D['request']>, principal?: Principal): Promise<z.infer<D['reply']>>;
  /** Plays the agent executor: takes StepJobs from the real queue and reports through the real commands. */
  startExecutor(script: Script, concurrency?: number): Promise<Subscription>;
  addReplica(): Promise<Service>;
  eventsOf(runId: string): Array<{ type: string; data: Record<string, unknown> }>;
  dispose(): Promise<void>;
}

export async function startHarness(options: { readonly transport?: 'embedded' | 'nats'; readonly replicas?: number } = {}): Promise<Harness> {
  const bed = await startTestbed({ name: 'cadre_runs', transport: options.transport, pollIntervalMs: 200 });
  const { pool, bus } = bed;
  const dir = await mkdtemp(join(tmpdir(), 'cadre-pipelines-'));
  for (const pipeline of testPipelines) await writeFile(join(dir, `${pipeline.id}.json`), JSON.stringify(pipeline));
  const config = loadRunsConfig({ CADRE_PIPELINES_DIR: dir, RUNS_SWEEP_INTERVAL_MS: '100' });
  const services: Service[] = [];
  const addReplica = async (): Promise<Service> => {
    const service = await startRuns({ bus, pool, logger: silentLogger(), instance: `runs-${services.length + 1}` }, config);
    services.push(service);
    return service;
  };
  for (let i = 0; i < (options.replicas ?? 1); i++) await addReplica();

  const events: StreamMessage[] = [];
  const watcher = await bus.events.replay({ fromSeq: 1 }, (m) => void events.push(m));
  const jobs: StepJob[] = [];
  const workers: Subscription[] = [];
  let requests = 0;
  const send: Harness['send'] = (definition, payload, principal = ADMIN) =>
    call(bus, definition, payload, {
      headers: { [REQUEST_ID_HEADER]: `req-${++requests}`, [PRINCIPAL_HEADER]: JSON.stringify(principal) }, timeoutMs: 15_000,
    });

  return {
    bus, pool, events, jobs, send, addReplica,
    eventsOf: (runId) => events
      .map((m) => m.json<{ type: string; data: Record<string, unknown> }>())
      .filter((e) => e.data.run_id === runId),
    async startExecutor(script, concurrency = 4) {
      const worker = await bus.workQueue(STEP_QUEUE).process(async (delivery) => {
        const job = delivery.json<StepJob>();
        jobs.push(job);
        const ref = { run_id: job.run_id, step_id: job.step_id, attempt: job.attempt, attempt_id: delivery.attemptId, ...(job.loop_index !== undefined ? { loop_index: job.loop_index } : {}) };
        await send(reportStepStarted, { ...ref, agent_id: job.agent_id });
        const outcome = await script(job, delivery);
        switch (outcome.kind) {
          case 'complete':
            await send(reportStepCompleted, { ...ref, outputs: outcome.outputs });
            return;
          case 'fail':
            await send(reportStepFailed, { ...ref, error: outcome.error });
            return;
          case 'hang':
            await outcome.until;
            return;
        }
      }, { concurrency, ackWaitMs: 30_000 });
      workers.push(worker);
      return worker;
    },
    async dispose() {
      for (const worker of workers) await worker.stop();
      await watcher.stop();
      // Shutting a service down drains the shared bus, so the replicas go first, one by one.
      for (const service of services.reverse()) await service.shutdown('test over');
      await bus.drain();
      await bed.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Encodes a payload the way the bus does (for tests that publish by hand). */
export const encode = encodeJson;
