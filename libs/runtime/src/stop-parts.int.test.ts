import { createLogger } from '@cadre/logging';
import { createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { createPool } from './pool';
import { poolPart, stopInOrder } from './stop-parts';

describe('a pool stopped as a part', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('is named while a client is still out, with the count, and stops once it comes back', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ service: 'test', instance: 'test', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    const pool = createPool({ connectionString: database.url, max: 2 });
    const held = await pool.connect();
    await pool.query('select 1');
    let stopped = false;
    const stopping = stopInOrder([poolPart(pool)], logger, 50).then(() => {
      stopped = true;
    });
    await eventually(async () => expect(lines.some((line) => line.msg === 'still stopping')).toBe(true), 5_000, 20);
    expect(lines.find((line) => line.msg === 'still stopping')).toMatchObject({ part: 'database pool', clientsOut: 1, level: 'warn' });
    expect(stopped).toBe(false);
    held.release();
    await stopping;
    expect(stopped).toBe(true);
  });
});
