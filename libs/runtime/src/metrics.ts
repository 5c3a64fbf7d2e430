import { Counter, Histogram, Registry, collectDefaultMetrics, type Metric, type MetricObjectWithValues, type MetricValue } from 'prom-client';

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

/**
 * The Prometheus text of several registries as one exposition: one HELP and TYPE per metric
 * name, followed by the series of every registry, each under its own default labels
 * (`service`, `instance`), so nothing is summed or dropped. The all-in-one process serves every
 * service's registry this way on one port; one registry is served as it is.
 */
export async function exposition(registries: readonly Registry[]): Promise<string> {
  const [only] = registries;
  if (only !== undefined && registries.length === 1) return only.metrics();
  const byName = new Map<string, MetricObjectWithValues<MetricValue<string>>[]>();
  for (const metrics of await Promise.all(registries.map((registry) => registry.getMetricsAsJSON()))) {
    for (const metric of metrics) byName.set(metric.name, [...(byName.get(metric.name) ?? []), metric]);
  }
  const merged = new Registry();
  for (const [name, parts] of byName) {
    const combined = { ...parts[0]!, values: parts.flatMap((part) => part.values) };
    // The registry prints whatever `get` returns; this one is a fixed snapshot of the scrape.
    merged.registerMetric({ name, get: () => combined } as unknown as Metric);
  }
  return merged.metrics();
}
