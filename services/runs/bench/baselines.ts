import { performance } from 'node:perf_hooks';
import { encodeJson } from '@cadre/bus';
import type { Stack } from './stack';

// The orchestration bench's same-run baselines: the hops of a step and of a run on the bus alone,
// with nothing durable in them.

export const HANDOFF_SAMPLES = 200;

/**
 * The baseline of `step_queued → step_started`: the same hand-off with nothing but the bus — a
 * job enqueued on a work queue, taken by a worker on another connection, which sends one request
 * and gets its reply. Cadre adds to it what makes the hand-off durable: the start decided on the
 * run's folded events and appended in a transaction, and the outbox relay's publish.
 */
export async function measureHandoff(stack: Stack): Promise<number[]> {
  const queue = 'bench-handoff';
  const served = await stack.client.serve({ name: 'bench-handoff', version: '1.0.0', endpoints: { 'bench.handoff.started': () => Promise.resolve({ accepted: true }) } });
  const waiting = new Map<string, () => void>();
  const worker = await stack.worker.workQueue(queue).process(async (job) => {
    const { id } = job.json<{ id: string }>();
    await stack.worker.request('bench.handoff.started', { id });
    waiting.get(id)?.();
  }, { concurrency: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < HANDOFF_SAMPLES + 20; i++) {
      const id = `handoff-${i}`;
      const done = new Promise<void>((resolve) => waiting.set(id, resolve));
      const t0 = performance.now();
      await stack.client.workQueue(queue).enqueue(encodeJson({ id }), { msgId: id });
      await done;
      if (i >= 20) samples.push(performance.now() - t0); // the first ones warm up
    }
  } finally {
    await worker.stop();
    await served.stop();
  }
  return samples;
}

/**
 * The baseline of a whole run: the bus hops a 3-step run makes with nothing durable in them —
 * per step a job enqueued, taken by a worker (`inFlight` at a time, as the executor), which sends two
 * requests (started, completed) and enqueues the next step's job. `runs` chains at once; answers
 * runs per second and each chain's time.
 */
export async function measureChains(stack: Stack, runs: number, atOnce: boolean, inFlight: number): Promise<{ perSecond: number; ms: number[] }> {
  const queue = 'bench-chain';
  const served = await stack.client.serve({
    name: 'bench-chain', version: '1.0.0',
    endpoints: { 'bench.chain.started': () => Promise.resolve({ accepted: true }), 'bench.chain.completed': () => Promise.resolve({ accepted: true }) },
  });
  const waiting = new Map<string, () => void>();
  const worker = await stack.worker.workQueue(queue).process(async (job) => {
    const { id, step } = job.json<{ id: string; step: number }>();
    await stack.worker.request('bench.chain.started', { id, step });
    await stack.worker.request('bench.chain.completed', { id, step });
    if (step < 2) await stack.worker.workQueue(queue).enqueue(encodeJson({ id, step: step + 1 }), { msgId: `${id}:${step + 1}` });
    else waiting.get(id)?.();
  }, { concurrency: inFlight });
  const prefix = `chain-${atOnce ? 'burst' : 'one'}-${Date.now()}`;
  const one = async (i: number): Promise<number> => {
    const id = `${prefix}-${i}`;
    const done = new Promise<void>((resolve) => waiting.set(id, resolve));
    const t0 = performance.now();
    await stack.client.workQueue(queue).enqueue(encodeJson({ id, step: 0 }), { msgId: `${id}:0` });
    await done;
    return performance.now() - t0;
  };
  try {
    const began = performance.now();
    const ms: number[] = [];
    if (atOnce) ms.push(...(await Promise.all(Array.from({ length: runs }, (_, i) => one(i)))));
    else for (let i = 0; i < runs; i++) ms.push(await one(i));
    return { perSecond: runs / ((performance.now() - began) / 1000), ms };
  } finally {
    await worker.stop();
    await served.stop();
  }
}
