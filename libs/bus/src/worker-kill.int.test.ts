import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startNats, type TestNats } from '@cadre/testing';
import { connectNatsBus } from './nats';
import type { Bus } from './types';

const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(__dirname, '..', 'test-fixtures', 'queue-worker.ts');

interface Report {
  readonly what: 'started' | 'completed';
  readonly attemptId: string;
  readonly pid: number;
  readonly mode: 'slow' | 'fast';
}

interface Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

/** Starts a worker process and resolves once it is consuming. */
async function startWorker(url: string, queue: string, report: string, mode: 'slow' | 'fast'): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, url, queue, report, mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} worker did not become ready`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`${mode} worker exited early with ${code}`)));
  });
  return { child, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a worker killed mid-job', () => {
  let nats: TestNats;
  let bus: Bus;
  const workers: Worker[] = [];

  beforeAll(async () => {
    nats = await startNats();
    bus = await connectNatsBus({ servers: nats.url, name: 'kill-test' });
  });
  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await bus?.drain();
    await nats?.dispose();
  });

  it('loses nothing: the job is redelivered and completed exactly once by another worker', async () => {
    const queue = `kill_${process.pid}_${Date.now()}`;
    const report = `test.${queue}`;
    const reports: Report[] = [];
    const sub = bus.ephemeral.subscribe(`${report}.*`, (m) => {
      reports.push({ what: m.subject.endsWith('.started') ? 'started' : 'completed', ...m.json<{ attemptId: string; pid: number; mode: 'slow' | 'fast' }>() });
    });
    await bus.events.lastSeq(); // our subscription is in place at the server

    const slow = await startWorker(nats.url, queue, report, 'slow');
    workers.push(slow);
    const { jobId } = await bus.workQueue(queue).enqueue(new TextEncoder().encode('{"task":"long"}'));
    await until('the slow worker to start the job', () => reports.some((r) => r.what === 'started'));
    expect(reports[0]).toMatchObject({ attemptId: `${jobId}:1`, pid: slow.child.pid, mode: 'slow' });

    // A second worker waits: while the first heartbeats, the job is not handed out again.
    const fast = await startWorker(nats.url, queue, report, 'fast');
    workers.push(fast);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(reports.filter((r) => r.what === 'started')).toHaveLength(1);

    slow.child.kill('SIGKILL');
    await slow.exited;
    await until('the job to complete elsewhere', () => reports.some((r) => r.what === 'completed'));
    // Longer than an ack wait: a second completion would have shown by now.
    await new Promise((r) => setTimeout(r, 2_000));

    const completions = reports.filter((r) => r.what === 'completed');
    expect(completions).toEqual([{ what: 'completed', attemptId: `${jobId}:2`, pid: fast.child.pid, mode: 'fast' }]);
    expect(reports.filter((r) => r.what === 'started').map((r) => r.attemptId)).toEqual([`${jobId}:1`, `${jobId}:2`]);
    expect(await bus.workQueue(queue).depth()).toBe(0);
    await sub.stop();
  });
});
