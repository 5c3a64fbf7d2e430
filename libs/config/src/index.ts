import { z } from 'zod';

/** Thrown when the environment does not fit a service's config schema; names each variable. */
export class ConfigError extends Error {
  constructor(readonly problems: ReadonlyArray<{ variable: string; message: string }>) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses environment variables with a zod object schema whose keys are the variable names.
 * The result is frozen; a bad or missing variable throws a ConfigError naming it.
 */
export function loadConfig<TShape extends z.ZodRawShape>(shape: TShape, env: Env = process.env): Readonly<z.infer<z.ZodObject<TShape>>> {
  const schema = z.object(shape);
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    // An empty variable means "not set", as in most deployment tools.
    input[key] = value === '' ? undefined : value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })));
  }
  return Object.freeze(result.data) as Readonly<z.infer<z.ZodObject<TShape>>>;
}

/** Helpers for env values, which are always strings. */
export const env = {
  /** `true/false/1/0/yes/no/on/off`, case-insensitive. */
  boolean: (fallback: boolean) =>
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return fallback;
        const v = value.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
        ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` });
        return z.NEVER;
      }),
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  int: (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback),
  url: () => z.string().url(),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** The variables every service shares (ARCHITECTURE §6–7). */
export const sharedConfigShape = {
  DATABASE_URL: env.url().optional().describe('Postgres; embedded Postgres when unset'),
  NATS_URL: z.string().min(1).optional().describe('NATS servers (comma list); the embedded bus when unset'),
  LOG_LEVEL: env.logLevel().describe('pino level: fatal, error, warn, info, debug, trace or silent'),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url().optional().describe('OTLP/HTTP collector: every process (all in one or one service) exports its traces to <url>/v1/traces'),
  OTEL_SERVICE_NAME: z.string().min(1).optional().describe('service.name of the traces (default: the service, or cadre for all in one)'),
  CADRE_DATA_DIR: z.string().min(1).default('.cadre').describe('Where embedded mode keeps its data'),
  METRICS_PORT: env.port(0).describe('Port of the health and metrics server (0: none)'),
  SHUTDOWN_GRACE_MS: env.int(25_000, 1000).describe('On SIGTERM, how long in-flight work may take before it is handed back'),
};

export type SharedConfig = Readonly<z.infer<z.ZodObject<typeof sharedConfigShape>>>;

/** Loads the shared variables. */
export function loadSharedConfig(environment: Env = process.env): SharedConfig {
  return loadConfig(sharedConfigShape, environment);
}
