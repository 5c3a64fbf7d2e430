import type { Gateway } from '@cadre/gateway';

/** The value of a metric of the gateway's registry, summed over the series whose labels match. */
export async function metricValue(gateway: Gateway, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const metric = gateway.service.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([key, value]) => (v.labels as Record<string, unknown>)[key] === value))
    .reduce((sum, v) => sum + v.value, 0);
}
