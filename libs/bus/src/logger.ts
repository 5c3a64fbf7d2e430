/** The logging both transports need; a pino logger fits. */
export interface BusLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

/** Logs nothing: the default when the caller gives no logger. */
export const silentLogger: BusLogger = { debug: noop, info: noop, warn: noop, error: noop };
