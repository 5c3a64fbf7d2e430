// Child process for the telemetry test: instrumentation hooks `require`, which jest bypasses,
// so the real thing is checked in a plain Node process.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { trace } from '@opentelemetry/api';
import { startTelemetry } from '../src';

async function main(): Promise<void> {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({ serviceName: 'telemetry-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // Loaded after the SDK started, as a service's main.ts does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: process.argv[2] });
  await client.connect();
  await trace.getTracer('test').startActiveSpan('handle request', async (span) => {
    await client.query('select 1 as one');
    span.end();
  });
  await client.end();
  const spans = exporter.getFinishedSpans().map((s) => ({
    name: s.name, traceId: s.spanContext().traceId, service: s.resource.attributes['service.name'],
  }));
  await telemetry.shutdown();
  process.stdout.write(JSON.stringify({ enabled: telemetry.enabled, spans }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
