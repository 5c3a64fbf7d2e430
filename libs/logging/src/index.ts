import { trace } from '@opentelemetry/api';
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Service name, bound to every line as `service`. */
  readonly service: string;
  /** Instance id (one per process or replica), bound as `instance`. */
  readonly instance?: string;
  readonly level?: string;
  /** Where lines go (default stdout). Several destinations: pass a pino.multistream. */
  readonly destination?: DestinationStream;
}

/** A unique-enough instance id: host, pid and a random suffix. */
export function instanceId(service: string): string {
  return `${service}-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * The root logger of a service: pino JSON, `service` and `instance` bound, and `traceId` /
 * `spanId` of the active OpenTelemetry span on every line logged inside one.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, instance: options.instance ?? instanceId(options.service) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const span = trace.getActiveSpan();
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { traceId, spanId };
      },
      redact: { paths: ['password', '*.password', 'token', '*.token', 'apiKey', '*.apiKey', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

/** A logger that writes nothing (tests, libraries used without a logger). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
