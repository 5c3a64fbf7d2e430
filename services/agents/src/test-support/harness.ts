import type { Pool } from 'pg';
import { type Bus, type ServiceHandle, type StreamMessage, type Subscription } from '@cadre/bus';
import { testing, type LlmSettings } from '@cadre/llm';
import { silentLogger } from '@cadre/logging';
import {
  PRINCIPAL_HEADER, STEP_QUEUE, domainFilter, reportStepCompleted, reportStepFailed, reportStepStarted, runCancelSubject,
  type EventEnvelope, type MessageDefinition, type Principal, type StepJob,
} from '@cadre/proto';
import { call } from '@cadre/runtime';
import { eventually } from '@cadre/testing';
import { startTestbed } from '@cadre/testbed';
import type { z } from 'zod';
import { loadAgentsConfig, startAgents, type AgentTool, type AgentsService } from '../index';

/** What the test, playing the runs service, received on one report subject. */
export interface Report {
  readonly kind: 'started' | 'completed' | 'failed';
  readonly payload: Record<string, unknown>;
}

export const ADMIN: Principal = { kind: 'user', user_id: 'u-admin', role: 'admin', credential_id: 's-admin' };
export const MEMBER: Principal = { kind: 'user', user_id: 'u-member', role: 'member', credential_id: 's-member' };

/** Prices of the scripted models (USD per million tokens), so costs are known numbers. */
export const PRICES = { 'openai/gpt-test': { input: 2, output: 8 }, 'anthropic/claude-test': { input: 3, output: 15 } };

/** The agents service on a fresh database and a real bus, a scripted model server, and the test as the runs service. */
export interface Harness {
  readonly bus: Bus;
  readonly pool: Pool;
  readonly server: testing.ScriptedServer;
  readonly service: AgentsService;
  readonly reports: Report[];
  /** Every `evt.agents.*` message on the stream so far. */
  readonly events: StreamMessage[];
  enqueue(job: Partial<StepJob> & Pick<StepJob, 'run_id' | 'step_id'>): Promise<void>;
  cancel(runId: string): void;
  /** Waits for the completed or failed report of a run. */
  outcome(runId: string, timeoutMs?: number): Promise<Report>;
  eventsOf(type: string, runId: string): EventEnvelope[];
  send<D extends MessageDefinition>(definition: D, payload: z.input<D['request']>, principal?: Principal): Promise<z.infer<D['reply']>>;
  /** Starts one more replica of the service on the same database and bus. */
  addReplica(): Promise<AgentsService>;
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  readonly transport?: 'embedded' | 'nats';
  readonly tools?: readonly AgentTool[];
  /** Answer step_started with accepted: false for these runs (a stale attempt). */
  readonly rejectStart?: (runId: string) => boolean;
  /** Extra variables of the agents service. */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const bed = await startTestbed({ name: 'cadre_agents', transport: options.transport });
  const { pool, bus } = bed;
  const server = await testing.startScriptedServer();
  const base = loadAgentsConfig({
    AGENTS_OUTPUT_FLUSH_MS: '20', AGENTS_ACTIVITY_LINGER_MS: '100', AGENTS_JOB_ACK_WAIT_MS: '5000', CADRE_SECRET_KEY: 'a test key that is long enough to be used ok', ...options.env,
  });
  const llm: LlmSettings = {
    providers: {
      openai: { kind: 'openai', base_url: `${server.url}/v1`, api_key: 'sk-test-key-0001' },
      anthropic: { kind: 'anthropic', base_url: server.url, api_key: 'ak-test-key-0002' },
      'dry-run': { kind: 'dry-run' },
    },
    prices: PRICES,
    retry: { base_delay_ms: 20, max_attempts: 3 },
  };
  const services: AgentsService[] = [];
  const addReplica = async (): Promise<AgentsService> => {
    const started = await startAgents({ bus, pool, logger: silentLogger(), instance: `agents-${services.length + 1}` }, { ...base, llm }, { tools: options.tools ?? [] });
    services.push(started);
    return started;
  };
  const service = await addReplica();

  const reports: Report[] = [];
  const answer = (kind: Report['kind']) => (payload: unknown) => {
    const p = payload as Record<string, unknown>;
    reports.push({ kind, payload: p });
    return { accepted: !(kind === 'started' && options.rejectStart?.(String(p.run_id))) };
  };
  const runs: ServiceHandle = await bus.serve({
    name: 'runs-played-by-test', version: '0.0.0',
    endpoints: {
      [reportStepStarted.subject]: answer('started'),
      [reportStepCompleted.subject]: answer('completed'),
      [reportStepFailed.subject]: answer('failed'),
    },
  });
  const events: StreamMessage[] = [];
  const watcher: Subscription = await bus.events.replay({ fromSeq: 1, filterSubject: domainFilter('agents') }, (m) => void events.push(m));

  const queue = bus.workQueue(STEP_QUEUE);
  return {
    bus, pool, server, service, reports, events, addReplica,
    async enqueue(job) {
      const full: StepJob = {
        attempt: 1, agent_id: 'tester', model: 'openai/gpt-test', system_prompt: 'You are a tester.', input: 'Do the thing.',
        outputs: [], tools: [], limits: { timeout_seconds: 30, max_turns: 5 }, ...job,
      };
      await queue.enqueue(Buffer.from(JSON.stringify(full)), { msgId: `${full.run_id}:${full.step_id}:${full.attempt}` });
    },
    cancel: (runId) => bus.ephemeral.publish(runCancelSubject(runId), Buffer.from(JSON.stringify({ run_id: runId }))),
    outcome: (runId, timeoutMs = 20_000) => eventually(() => {
      const found = reports.find((r) => r.kind !== 'started' && r.payload.run_id === runId);
      if (!found) throw new Error(`no outcome reported for ${runId}`);
      return found;
    }, timeoutMs),
    eventsOf: (type, runId) => events.map((m) => m.json<EventEnvelope>())
      .filter((e) => e.type === type && (e.data as { run_id?: string }).run_id === runId),
    send: (definition, payload, principal) => call(bus, definition, payload, {
      timeoutMs: 15_000, ...(principal ? { headers: { [PRINCIPAL_HEADER]: JSON.stringify(principal) } } : {}),
    }),
    async dispose() {
      await watcher.stop();
      await runs.stop();
      // Shutting a service down drains the shared bus, so the replicas go first, one by one.
      for (const replica of services.reverse()) await replica.shutdown('test over');
      await bus.drain();
      await server.close();
      await bed.dispose();
    },
  };
}
