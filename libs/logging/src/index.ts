import { trace } from '@opentelemetry/api';
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import { LogTap, registerLogTap, type LogTapLimits } from './tap';

export type { Logger } from 'pino';
export { LogTap, logTapOf, type LogTapLimits, type TappedLine } from './tap';

export interface LoggerOptions {
  /** Service name, bound to every line as `service`. */
  readonly service: string;
  /** Instance id (one per process or replica), bound as `instance`. */
  readonly instance?: string;
  readonly level?: string;
  /** Where lines go (default stdout). Several destinations: pass a pino.multistream. */
  readonly destination?: DestinationStream;
  /** Bounds of the recent lines kept for `GET /v1/admin/containers/{id}/logs` (see `logTapOf`). */
  readonly tap?: LogTapLimits;
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
  const tap = new LogTap(options.tap);
  const logger = pino(
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
    teeTo(options.destination ?? pino.destination({ sync: false }), tap),
  );
  registerLogTap(logger, tap);
  return logger;
}

/**
 * A destination that writes each line to `destination` and to the tap. A destination that
 * wants pino's metadata (a multistream) gets it: the tee inherits from it and calls its
 * `write` on itself, where pino set `lastLevel` and the rest.
 */
function teeTo(destination: DestinationStream, tap: LogTap): DestinationStream {
  const target = destination as DestinationStream & { flush?: (cb?: (err?: Error) => void) => void } & Record<symbol, unknown>;
  if (target[pino.symbols.needsMetadataGsym]) {
    const tee = Object.create(target) as DestinationStream;
    tee.write = function write(this: DestinationStream, chunk: string) {
      target.write.call(this, chunk);
      tap.write(chunk);
    };
    return tee;
  }
  const tee: DestinationStream & { flush?: (cb?: (err?: Error) => void) => void } = {
    write(chunk: string) {
      target.write(chunk);
      tap.write(chunk);
    },
  };
  if (typeof target.flush === 'function') tee.flush = (cb) => target.flush!(cb);
  return tee;
}

/** A logger that writes nothing (tests, libraries used without a logger). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
