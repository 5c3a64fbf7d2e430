import type { Pool } from 'pg';
import { migrateService } from '@cadre/kit';
import { createProjection } from '@cadre/eventstore';
import type { EventEnvelope } from '@cadre/proto';
import { createPool } from '@cadre/runtime';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { agentsMigrations } from '../storage/migrations';
import { llmCallsProjection } from './llm-calls';

const call = (id: string, extra: Record<string, unknown> = {}, occurredAt = '2026-12-06T10:00:00.123Z'): EventEnvelope => ({
  id: `evt-${id}-${Math.random()}`, type: 'llm_call', stream: 'exec-run-1', version: 1, occurredAt, meta: { schemaVersion: 1 },
  data: {
    id, provider: 'anthropic', model: 'claude-x', input_tokens: 1_200, output_tokens: 3_000_000_000, cost_usd: 0.125, duration_ms: 812.5, ...extra,
  },
});

describe('the llm_calls projection', () => {
  let database: TestDatabase;
  let pool: Pool;
  beforeAll(async () => {
    database = await createTestDatabase('cadre_agents_llm_calls');
    pool = createPool({ connectionString: database.url, max: 4 });
    for (const schema of ['one_by_one', 'in_batches']) await migrateService(pool, schema, 'agents_migration', agentsMigrations(schema));
  });
  afterAll(async () => {
    await pool?.end();
    await database?.dispose();
  });

  it('writes the same rows from a batch (one statement) as from each event applied alone, each call once', async () => {
    const events = [
      call('c1', { run_id: 'run-1', step_id: 'plan', agent_id: 'planner', user_id: 'u1', stop_reason: 'end_turn' }),
      call('c2', {}, '2026-12-06T10:00:01.000Z'),
      call('c1', { run_id: 'run-1', step_id: 'plan', agent_id: 'planner', user_id: 'u1', stop_reason: 'end_turn' }), // the same call again
      call('c3', { run_id: 'run-2', stop_reason: null }),
    ];
    const alone = await createProjection({ ...llmCallsProjection('one_by_one'), pool, schema: 'one_by_one' });
    for (const [i, event] of events.entries()) await alone.handle(event, i + 1);
    const batched = await createProjection({ ...llmCallsProjection('in_batches'), pool, schema: 'in_batches' });
    expect(await batched.handleBatch(events.map((event, i) => ({ event, position: i + 1 })))).toBe(4);
    // Applied again (a redelivery): nothing changes.
    await batched.handleBatch(events.map((event, i) => ({ event, position: i + 1 })));

    const rows = async (schema: string) => (await pool.query(`select * from "${schema}".llm_calls order by id`)).rows;
    const written = await rows('in_batches');
    expect(written).toEqual(await rows('one_by_one'));
    expect(written.map((r) => [r.id, r.run_id, r.user_id, r.output_tokens, r.cost_usd, r.stop_reason, r.created_at.toISOString()])).toEqual([
      ['c1', 'run-1', 'u1', '3000000000', 0.125, 'end_turn', '2026-12-06T10:00:00.123Z'],
      ['c2', null, null, '3000000000', 0.125, null, '2026-12-06T10:00:01.000Z'],
      ['c3', 'run-2', null, '3000000000', 0.125, null, '2026-12-06T10:00:00.123Z'],
    ]);
    expect(await batched.position()).toBe(4);
  });
});
