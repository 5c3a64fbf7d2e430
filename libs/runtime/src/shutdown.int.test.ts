import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createEmbeddedBus } from '@cadre/bus';
import { createTestDatabase } from '@cadre/testing';

const ROOT = join(__dirname, '..', '..', '..');

function waitForLine(lines: string[], pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      const hit = lines.find((l) => pattern.test(l));
      if (hit) return resolve(hit);
      if (Date.now() > deadline) return reject(new Error(`no line matching ${pattern} in:\n${lines.join('\n')}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('graceful shutdown', () => {
  it('on SIGTERM finishes the job in hand, acks it, then exits 0', async () => {
    const database = await createTestDatabase();
    const bus = await createEmbeddedBus({ databaseUrl: database.url });
    try {
      const queue = bus.workQueue('shutdown-test');
      const fixture = join(__dirname, '..', 'test-fixtures', 'worker-service.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, database.url, 'shutdown-test'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      const lines: string[] = [];
      child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await waitForLine(lines, /^ready$/);
      const { jobId } = await queue.enqueue(new TextEncoder().encode('{"n":1}'));
      await waitForLine(lines, new RegExp(`^started ${jobId}$`));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(lines).toContain(`finished ${jobId}`);
      // Acked, not handed back: nothing is left on the queue.
      expect(await queue.depth()).toBe(0);
    } finally {
      await bus.drain();
      await database.dispose();
    }
  });
});
