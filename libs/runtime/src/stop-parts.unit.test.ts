import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@cadre/logging';
import { stopInOrder } from './stop-parts';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ service: 'cadre', instance: 'test', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { logger, lines };
}

describe('stopping the shared parts in order', () => {
  it('names a part that is slow to stop, with its state, and stops the next only after it', async () => {
    const { logger, lines } = capturingLogger();
    const order: string[] = [];
    await stopInOrder([
      { name: 'database pool', stop: async () => { await sleep(400); order.push('pool'); }, state: () => ({ clientsOut: 1 }) },
      { name: 'embedded Postgres', stop: async () => void order.push('postgres') },
    ], logger, 50);
    expect(order).toEqual(['pool', 'postgres']);
    const warnings = lines.filter((line) => line.msg === 'still stopping');
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.every((line) => line.part === 'database pool' && line.clientsOut === 1 && line.level === 'warn')).toBe(true);
    expect(Number(warnings[0]!.waitedMs)).toBeGreaterThanOrEqual(45);
  });

  it('says nothing of a part that stops in time, and no more of a slow one once it has stopped', async () => {
    const { logger, lines } = capturingLogger();
    await stopInOrder([{ name: 'bus connections', stop: async () => { await sleep(80); } }], logger, 50);
    const during = lines.length;
    await sleep(150);
    expect(lines.length).toBe(during);
    await stopInOrder([{ name: 'database pool', stop: async () => undefined }], logger, 50);
    await sleep(120);
    expect(lines.filter((line) => line.part === 'database pool')).toEqual([]);
  });

  it('logs a part that fails to stop and still stops the ones after it', async () => {
    const { logger, lines } = capturingLogger();
    const stopped: string[] = [];
    await stopInOrder([
      { name: 'bus connections', stop: async () => { throw new Error('drain refused'); } },
      { name: 'database pool', stop: async () => void stopped.push('pool') },
    ], logger, 1_000);
    expect(stopped).toEqual(['pool']);
    const failure = lines.find((line) => line.msg === 'stopping failed');
    expect(failure).toMatchObject({ part: 'bus connections', level: 'error' });
    expect(JSON.stringify(failure)).toContain('drain refused');
  });
});
