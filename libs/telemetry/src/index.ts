import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); spans are exported there when set. */
  readonly otlpEndpoint?: string;
  /** Extra span processors (tests pass an in-memory exporter's processor). */
  readonly spanProcessors?: readonly SpanProcessor[];
}

export interface Telemetry {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for one process, for traces only: W3C trace-context propagation,
 * HTTP and Postgres auto-instrumentation, and OTLP/HTTP export of spans when an endpoint is
 * configured (batched; OTEL_BSP_* tune the batches; `shutdown` sends what is left). With neither
 * an endpoint nor span processors it starts nothing, so tracing costs nothing when off.
 * Call it before the modules it instruments (http, pg) are loaded.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  if (processors.length === 0) return { enabled: false, shutdown: async () => undefined };
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion ?? '0.1.0',
    }),
    spanProcessors: processors,
    // Traces only. Left unset, the SDK also builds an OTLP metric reader and log exporter from
    // OTEL_* defaults: every process then pushes protobuf metrics to the trace endpoint (or, with
    // no endpoint set, retries localhost:4318 for seconds on shutdown). Metrics are Prometheus
    // text on each service; logs go through pino and the bus.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation({ requireParentSpan: true })],
  });
  sdk.start();
  return { enabled: true, shutdown: () => sdk.shutdown() };
}
