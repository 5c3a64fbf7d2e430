// Child process of the trace test: instrumentation patches `require` (http, pg), which jest
// bypasses, so the system is started here, in a plain Node process, after telemetry.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTelemetry } from '@cadre/telemetry';
import type * as Pipelines from '../../fixtures/pipelines';
import type * as Auth from '../../support/auth';
import type * as Runs from '../../support/runs';
import type * as SystemSupport from '../../support/system';

async function main(): Promise<void> {
  const transport = process.argv[2] === 'nats' ? 'nats' : 'embedded';
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({ serviceName: 'cadre-trace-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // Loaded after the SDK started, as every main.ts does.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { startSystem } = require('../../support/system') as typeof SystemSupport;
  const { setupAdmin } = require('../../support/auth') as typeof Auth;
  const { createPipeline } = require('../../support/runs') as typeof Runs;
  const { workerFlow } = require('../../fixtures/pipelines') as typeof Pipelines;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const system = await startSystem({
    transport,
    // No model answers: the run's first step fails, which this test does not look at.
    env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-none', CADRE_SECRET_KEY: 'a test key that is long enough to be used ok' },
    orchestration: {},
  });
  try {
    const token = (await setupAdmin(system.baseUrl)).access_token;
    await createPipeline(system.baseUrl, token, workerFlow('trace-flow', 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    exporter.reset();
    const res = await fetch(`${system.baseUrl}/v1/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline_id: 'trace-flow', task_description: 'traced' }),
    });
    const status = res.status;
    await res.text();
    // Server spans end when the response is done; give the last ones a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const spans = exporter.getFinishedSpans().map((s) => ({
      name: s.name,
      kind: s.kind,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId,
      attributes: s.attributes,
    }));
    process.stdout.write(`\n${JSON.stringify({ status, spans })}\n`);
  } finally {
    await system.stop();
    await telemetry.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
