import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, eventually, freePort, parsePrometheus, promValue, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { startCadre, type Cadre } from '../../services/cadre/src/index';
import { setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { createRun, getRun } from '../support/runs';
import { TRANSPORTS } from '../support/system';

/**
 * The all-in-one process (`npm start`'s composition root) on a database of its own, with
 * METRICS_PORT set: after a run of the demo pipeline, its one metrics port serves the figures
 * of every service, each under its own `service` label.
 */
describe.each(TRANSPORTS)('metrics of the all-in-one process on the %s bus', (transport) => {
  let database: TestDatabase;
  let nats: TestNats | undefined;
  let cadre: Cadre;
  let metricsUrl: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'cadre-metrics-'));

  beforeAll(async () => {
    database = await createTestDatabase('cadre_metrics');
    nats = transport === 'nats' ? await startNats() : undefined;
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    cadre = await startCadre({
      DATABASE_URL: database.url, ...(nats ? { NATS_URL: nats.url } : {}), CADRE_DATA_DIR: dataDir,
      PORT: '0', HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), LOG_LEVEL: 'silent',
    });
  });
  afterAll(async () => {
    await cadre?.stop('test over');
    await nats?.dispose();
    await database?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(metricsUrl);
    expect(res.status).toBe(200);
    return res.text();
  };
  const appended = (text: string, labels: Record<string, string>): number => promValue(text, 'cadre_events_appended_total', labels) ?? 0;

  it('serves, after a demo run, what every service appended and relayed, handler and HTTP latency, consumer lag and the step queue back at zero', async () => {
    const token = (await setupAdmin(cadre.url)).access_token;
    const run = await createRun(cadre.url, token, { pipeline_id: 'demo', task_description: 'Count what happens' });
    await eventually(async () => expect((await getRun(cadre.url, token, run.id)).status).toBe('completed'), 60_000, 250);
    // A query each service answers (runs and identity have answered already).
    expect((await call(cadre.url, 'GET', '/v1/agents', { token })).status).toBe(200);

    const text = await eventually(async () => {
      const scraped = await scrape();
      // Every consumer has caught up and every job is done once the run's last events are through.
      for (const consumer of ['runs-dispatcher', 'runs-views', 'agents-llm-calls']) {
        expect(promValue(scraped, 'cadre_consumer_pending_messages', { consumer })).toBe(0);
        expect(promValue(scraped, 'cadre_consumer_ack_pending_messages', { consumer })).toBe(0);
      }
      expect(promValue(scraped, 'cadre_work_queue_depth', { service: 'runs', queue: 'steps' })).toBe(0);
      for (const service of ['identity', 'runs', 'agents']) {
        // Everything appended was relayed: the relay's count matches, and nothing waits.
        expect(promValue(scraped, 'cadre_outbox_events_published_total', { service })).toBe(appended(scraped, { service }));
        expect(promValue(scraped, 'cadre_outbox_backlog_events', { service })).toBe(0);
      }
      return scraped;
    }, 30_000, 200);

    // One run, one pipeline of three steps, each step's model call logged.
    expect(appended(text, { service: 'runs', domain: 'runs', type: 'run_created' })).toBe(1);
    expect(appended(text, { service: 'runs', domain: 'runs', type: 'run_complete' })).toBe(1);
    expect(appended(text, { service: 'runs', domain: 'runs', type: 'step_queued' })).toBeGreaterThanOrEqual(3);
    expect(appended(text, { service: 'agents', type: 'llm_call' })).toBeGreaterThanOrEqual(3);
    expect(appended(text, { service: 'identity', domain: 'identity' })).toBeGreaterThanOrEqual(1);
    // The gateway's HTTP figures and the services' handler latency, on the same port.
    expect(promValue(text, 'cadre_http_request_duration_seconds_count', { service: 'gateway', method: 'POST', status: '201' })).toBeGreaterThanOrEqual(2);
    expect(promValue(text, 'cadre_sse_clients', { service: 'gateway' })).toBe(0);
    for (const service of ['identity', 'runs', 'agents']) {
      expect(promValue(text, 'cadre_handler_duration_seconds_count', { service })).toBeGreaterThanOrEqual(1);
    }
    // One HELP per metric name, and no series twice, though four registries stand behind it.
    const helps = text.split('\n').filter((line) => line.startsWith('# HELP '));
    expect(new Set(helps).size).toBe(helps.length);
    const keys = parsePrometheus(text).map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
