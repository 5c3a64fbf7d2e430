import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's own metrics, on the service's registry (served by the probe server). */
export interface GatewayMetrics {
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly httpInFlight: Gauge;
  readonly sseClients: Gauge;
  readonly sseDropped: Counter<'reason'>;
  readonly sseEvents: Counter;
  readonly sseResumes: Counter<'path'>;
}

export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    httpDuration: new Histogram({
      name: 'cadre_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status (streams: until they close)',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    httpInFlight: new Gauge({ name: 'cadre_http_requests_in_flight', help: 'HTTP requests being answered', registers: [registry] }),
    sseClients: new Gauge({ name: 'cadre_sse_clients', help: 'Open SSE streams', registers: [registry] }),
    sseDropped: new Counter({
      name: 'cadre_sse_dropped_total',
      help: 'SSE streams closed by the gateway, by reason (slow, stalled, revoked, expired)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    sseEvents: new Counter({ name: 'cadre_sse_events_fanned_out_total', help: 'Events the shared feed received', registers: [registry] }),
    sseResumes: new Counter({
      name: 'cadre_sse_resumes_total',
      help: 'Streams opened with Last-Event-ID, by path: replay (behind the feed) or live (already caught up)',
      labelNames: ['path'] as const,
      registers: [registry],
    }),
  };
}
