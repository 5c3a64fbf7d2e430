// Child process for the telemetry test: starts telemetry with the OTLP endpoint of its
// environment (OTEL_EXPORTER_OTLP_ENDPOINT, as main.ts does), serves
// and makes one traced HTTP request inside a span, then shuts telemetry down, as a process that
// stops does. Prints the trace id of the span.
import { trace } from '@opentelemetry/api';
import { startTelemetry } from '../src';

async function main(): Promise<void> {
  const telemetry = startTelemetry({ serviceName: 'telemetry-otlp-test', otlpEndpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT! });
  // Loaded after the SDK started, as a service's main.ts does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require('node:http') as typeof import('node:http');
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  const traceId = await trace.getTracer('test').startActiveSpan('handle request', async (span) => {
    await new Promise<void>((resolve, reject) => {
      http.get(`http://127.0.0.1:${port}/hello`, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    span.end();
    return span.spanContext().traceId;
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await telemetry.shutdown();
  process.stdout.write(JSON.stringify({ traceId }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
