import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Bus, RequestHandler, ServiceHandle, Subscription } from '@cadre/bus';
import { LogTap, logTapOf, type Logger } from '@cadre/logging';
import { toCadreError } from '@cadre/proto';
import type { Registry } from 'prom-client';
import { watchConsumerLag } from './consumer-metrics';
import { createServiceMetrics, type ServiceMetrics } from './metrics';
import { startReporter } from './instances/reporter';
import { startProbeServer, type Check, type ProbeServer } from './probes';
import { stopInOrder, type StoppablePart } from './stop-parts';

export interface ServiceOptions {
  readonly name: string;
  readonly version: string;
  readonly instance: string;
  readonly bus: Bus;
  readonly logger: Logger;
  /** Port of the probe and metrics server; 0 picks a free one, undefined serves none. */
  readonly probePort?: number;
  /** Readiness checks besides the bus (database, …). */
  readonly checks?: Readonly<Record<string, Check>>;
  /** Grace period: after it, shutdown stops waiting for in-flight work. */
  readonly shutdownGraceMs?: number;
  /** Interval of the instance's heartbeat on the bus (default 5 s). */
  readonly heartbeatMs?: number;
  /**
   * The service's metrics, when created before it (`createServiceMetrics(name, instance)`), so
   * that parts built first (the event store) report to the same registry; else created here.
   */
  readonly metrics?: ServiceMetrics;
}

/** A running service: register handlers and workers, then it shuts down in order. */
export interface Service {
  readonly metrics: ServiceMetrics;
  readonly logger: Logger;
  readonly probePort: number | undefined;
  /** Serves commands and queries; each handler is timed and its errors counted. */
  handle(endpoints: Readonly<Record<string, RequestHandler>>, description?: string): Promise<void>;
  /**
   * Registers a consumer or worker subscription to stop (first) on shutdown. The lag of a
   * durable consumer's subscription (`subscription.durable`) is reported from then on.
   */
  track(subscription: Subscription): void;
  /** Serves another registry with this service's on its probe port (the all-in-one process serves every service's on one). */
  exposeMetrics(registry: Registry): void;
  /** Registers a part stopped after the bus is drained (pools, stores), in the reverse of the order registered. */
  onShutdown(part: StoppablePart): void;
  isShuttingDown(): boolean;
  /** Stops taking work, lets in-flight work finish (bounded by the grace period), drains the bus. */
  shutdown(reason?: string): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const { bus, logger } = options;
  const metrics = options.metrics ?? createServiceMetrics(options.name, options.instance);
  const exposed: Registry[] = [];
  const handles: ServiceHandle[] = [];
  const subscriptions: Subscription[] = [];
  const cleanups: StoppablePart[] = [];
  let shuttingDown = false;
  let shutdownPromise: Promise<void> | undefined;

  const probes: ProbeServer | undefined =
    options.probePort === undefined
      ? undefined
      : await startProbeServer({
          port: options.probePort,
          registry: metrics.registry,
          more: () => exposed,
          checks: { bus: () => bus.isHealthy(), ...options.checks },
          isShuttingDown: () => shuttingDown,
        });

  // Heartbeat and log lines over the bus: `GET /v1/admin/containers` and its logs route read them.
  const reporter = await startReporter({
    bus, instance: options.instance, service: options.name, version: options.version,
    tap: logTapOf(logger) ?? new LogTap({ maxLines: 1 }), heartbeatMs: options.heartbeatMs,
  });

  const tracer = trace.getTracer('@cadre/runtime');
  // Each request is a span of the service, in the trace the sender's headers carry (the bus
  // makes that context active), so its SQL and the messages it sends join the same trace.
  const instrument = (subject: string, handler: RequestHandler): RequestHandler => (payload, context) =>
    tracer.startActiveSpan(subject, {
      kind: SpanKind.SERVER,
      attributes: { 'messaging.system': bus.transport, 'messaging.destination.name': context.subject, 'cadre.service': options.name, 'cadre.instance': options.instance },
    }, async (span) => {
      const stop = metrics.handlerDuration.startTimer({ subject });
      try {
        const reply = await handler(payload, context);
        stop({ outcome: 'ok' });
        return reply;
      } catch (error) {
        const cadreError = toCadreError(error);
        stop({ outcome: 'error' });
        metrics.handlerErrors.inc({ subject, code: cadreError.code });
        span.setAttribute('cadre.error_code', cadreError.code);
        if (cadreError.kind === 'internal') {
          span.setStatus({ code: SpanStatusCode.ERROR });
          logger.error({ err: error, subject }, 'handler failed');
        }
        throw cadreError;
      } finally {
        span.end();
      }
    });

  const shutdown = async (reason = 'shutdown'): Promise<void> => {
    shuttingDown = true;
    logger.info({ reason }, 'shutting down');
    const grace = options.shutdownGraceMs ?? 25_000;
    const work = (async () => {
      await Promise.allSettled(subscriptions.map((s) => s.stop()));
      await Promise.allSettled(handles.map((h) => h.stop()));
      await reporter.stop();
      await bus.drain();
    })();
    const timedOut = await Promise.race([
      work.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), grace).unref()),
    ]);
    if (timedOut) logger.warn({ graceMs: grace }, 'grace period over; in-flight work is handed back for redelivery');
    await stopInOrder(cleanups.reverse(), logger);
    await probes?.close();
    logger.info('stopped');
  };

  return {
    metrics,
    logger,
    probePort: probes?.port,
    async handle(endpoints, description) {
      const wrapped = Object.fromEntries(Object.entries(endpoints).map(([subject, h]) => [subject, instrument(subject, h)]));
      handles.push(await bus.serve({ name: options.name, version: options.version, description, endpoints: wrapped }));
    },
    track: (subscription) => {
      subscriptions.push(subscription);
      if (subscription.durable !== undefined) watchConsumerLag(metrics.registry, bus.events, subscription.durable);
    },
    exposeMetrics: (registry) => {
      if (registry !== metrics.registry && !exposed.includes(registry)) exposed.push(registry);
    },
    onShutdown: (part) => void cleanups.push(part),
    isShuttingDown: () => shuttingDown,
    shutdown: (reason) => (shutdownPromise ??= shutdown(reason)),
  };
}

/** Calls `service.shutdown` on SIGTERM / SIGINT, then exits. */
export function shutdownOnSignals(service: Pick<Service, 'shutdown' | 'logger'>): void {
  const onSignal = (signal: NodeJS.Signals) => {
    service
      .shutdown(signal)
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        service.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
