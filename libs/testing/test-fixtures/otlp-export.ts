// Child process for the OTLP receiver test: the exporter loads `http` with a dynamic import,
// which jest's module runtime refuses, so the real exporter runs in a plain Node process.
// Exports a server span and its client child to `<argv[2]>/v1/traces`, gzip-compressed when
// argv[3] is `gzip`, and prints their ids.
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

async function main(): Promise<void> {
  const [url, compression] = process.argv.slice(2);
  const exporter = new OTLPTraceExporter({
    url: `${url}/v1/traces`,
    ...(compression === 'gzip' ? { compression: 'gzip' as ExporterConfig['compression'] } : {}),
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test', 'service.version': '1.2.3' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('receiver-test-scope');
  const parent = tracer.startSpan('GET /things', { kind: SpanKind.SERVER, attributes: { 'http.status_code': 200, 'http.route': '/things' } });
  const child = tracer.startSpan('things.qry.list', { kind: SpanKind.CLIENT, attributes: { ratio: 0.5, ok: true, tags: ['a', 'b'] } }, trace.setSpan(context.active(), parent));
  child.setStatus({ code: SpanStatusCode.ERROR });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  const ids = { traceId: parent.spanContext().traceId, parent: parent.spanContext().spanId, child: child.spanContext().spanId };
  process.stdout.write(JSON.stringify(ids));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
