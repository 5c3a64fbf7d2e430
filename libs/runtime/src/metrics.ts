import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus registry of one service, with the metrics every service shares. */
export interface ServiceMetrics {
  readonly registry: Registry;
  readonly handlerDuration: Histogram<'subject' | 'outcome'>;
  readonly handlerErrors: Counter<'subject' | 'code'>;
}

export function createServiceMetrics(service: string, instance: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service, instance });
  collectDefaultMetrics({ register: registry, prefix: 'cadre_' });
  const handlerDuration = new Histogram({
    name: 'cadre_handler_duration_seconds',
    help: 'Time to answer a command or query, by subject and outcome',
    labelNames: ['subject', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const handlerErrors = new Counter({
    name: 'cadre_handler_errors_total',
    help: 'Commands and queries answered with an error, by subject and error code',
    labelNames: ['subject', 'code'] as const,
    registers: [registry],
  });
  return { registry, handlerDuration, handlerErrors };
}
