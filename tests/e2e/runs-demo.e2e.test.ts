import type { RunView } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { createRun } from '../support/runs';
import { startSystem, type System } from '../support/system';

describe('the demo pipeline on the dry-run model', () => {
  let system: System;
  let token: string;
  beforeAll(async () => {
    // No provider at all: the demo needs none.
    system = await startSystem({ transport: 'embedded', orchestration: {} });
    token = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(() => system?.stop());

  it('completes 100 runs started at once, every step once', async () => {
    const began = Date.now();
    const runs = await Promise.all(Array.from({ length: 100 }, (_, i) =>
      createRun(system.baseUrl, token, { pipeline_id: 'demo', task_description: `demo task ${i}`, project_name: 'load' })));
    expect(new Set(runs.map((r) => r.id)).size).toBe(100);

    const completed = await eventually(async () => {
      const reply = await call<{ runs: RunView[]; total: number }>(system.baseUrl, 'GET', '/v1/runs?pipeline_id=demo&status=completed&limit=500', { token });
      expect(reply.status).toBe(200);
      expect(reply.body.total).toBe(100);
      return reply.body.runs;
    }, 60_000, 250);
    console.log(`100 demo runs (300 dry-run steps) completed in ${Date.now() - began} ms`);
    expect(completed.map((r) => r.id).sort()).toEqual(runs.map((r) => r.id).sort());
    const failed = await call<{ total: number }>(system.baseUrl, 'GET', '/v1/runs?pipeline_id=demo&status=failed', { token });
    expect(failed.body.total).toBe(0);

    // Every run went through its three steps once, each with an output from the dry run.
    const sample = await call<RunView>(system.baseUrl, 'GET', `/v1/runs/${runs[42]!.id}`, { token });
    expect(sample.body.steps?.map((s) => [s.step_id, s.status, s.attempt])).toEqual([['outline', 'completed', 1], ['draft', 'completed', 1], ['summary', 'completed', 1]]);
    expect(Object.keys(sample.body.outputs)).toEqual(['outline', 'draft', 'summary']);
    expect(String(sample.body.outputs.summary?.summary)).toContain('dry-run');
  });
});
