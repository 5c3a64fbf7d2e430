import { z } from 'zod';
import type { MessageDefinition } from '../messages';

// Container logs and heartbeats (seed 002, "Admin"): every service instance announces itself
// and serves its recent log lines over the bus, so the gateway can list and tail any of them,
// embedded or distributed, with no log store of its own.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export const LogLevel = z.enum(LOG_LEVELS);
export type LogLevel = z.infer<typeof LogLevel>;

/** True when `level` is `min` or more severe (unknown levels pass). */
export function levelAtLeast(level: unknown, min: LogLevel): boolean {
  const rank = LOG_LEVELS.indexOf(level as LogLevel);
  return rank < 0 || rank >= LOG_LEVELS.indexOf(min);
}

const Iso = z.string().describe('ISO 8601 time');

/** What an instance says about itself in each heartbeat. */
export const InstanceInfo = z.object({
  id: z.string().min(1).max(300).describe('Instance id (one per process or replica)'),
  service: z.string().min(1).max(100),
  host: z.string().max(300),
  pid: z.number().int().nonnegative(),
  version: z.string().max(100),
  transport: z.enum(['nats', 'embedded']),
  started_at: Iso,
  last_heartbeat: Iso,
});
export type InstanceInfo = z.infer<typeof InstanceInfo>;

export const ContainerView = InstanceInfo.extend({
  status: z.enum(['live', 'stale']).describe('stale: no heartbeat for three intervals'),
});
export type ContainerView = z.infer<typeof ContainerView>;

export const ContainerList = z.object({ containers: z.array(ContainerView) });
export type ContainerList = z.infer<typeof ContainerList>;

/** One log line: the JSON pino wrote, with its sequence in the instance's log. */
export const LogLine = z.looseObject({
  seq: z.number().int().positive(),
  time: z.string().optional(),
  level: z.string().optional(),
  msg: z.string().optional(),
});
export type LogLine = z.infer<typeof LogLine>;

export const MAX_TAIL = 5000;
export const MAX_FOLLOW_MS = 120_000;

/** Request of `logs.qry.tail.<instance>`. */
export const LogTailRequest = z.object({
  tail: z.number().int().min(0).max(MAX_TAIL).default(100),
  level: LogLevel.optional().describe('Only lines at this level or above'),
  after_seq: z.number().int().nonnegative().optional().describe('Only lines after this sequence (resume)'),
  follow_ms: z.number().int().min(0).max(MAX_FOLLOW_MS).optional()
    .describe('Publish live lines on logs.<instance> for this long (renew before it ends)'),
});
export type LogTailRequest = z.input<typeof LogTailRequest>;

export const LogTailReply = z.object({
  instance: z.string(),
  service: z.string(),
  last_seq: z.number().int().nonnegative(),
  lines: z.array(LogLine),
});
export type LogTailReply = z.infer<typeof LogTailReply>;

/** What an instance publishes on `logs.<instance>` while followed: new lines, in order. */
export const LogBatch = z.object({ instance: z.string(), lines: z.array(LogLine) });
export type LogBatch = z.infer<typeof LogBatch>;

/** An instance id as one subject token: characters NATS would split on become `_`. */
export function instanceToken(instance: string): string {
  return instance.replace(/[^A-Za-z0-9_-]/g, '_');
}

export const adminSubjects = {
  /** Ephemeral: an instance's heartbeat (InstanceInfo), every few seconds. */
  heartbeat: (instance: string) => `instances.heartbeat.${instanceToken(instance)}`,
  heartbeatFilter: 'instances.heartbeat.*',
  /** Ephemeral: an instance stopping (InstanceInfo). */
  gone: (instance: string) => `instances.gone.${instanceToken(instance)}`,
  goneFilter: 'instances.gone.*',
  /** Ephemeral: asks every instance for a heartbeat now (a registry that just started). */
  ping: 'instances.ping',
  /** Request/reply: an instance's recent lines, and a follow lease. */
  tail: (instance: string) => `logs.qry.tail.${instanceToken(instance)}`,
  /** Ephemeral: an instance's live lines while followed (LogBatch). */
  live: (instance: string) => `logs.${instanceToken(instance)}`,
} as const;

/**
 * The query of one instance's log tail, `logs.qry.tail.<instance>`: one subject per instance
 * (each answers for its own lines), so the definition is built for an instance id.
 */
export function logTail(instance: string): MessageDefinition<typeof LogTailRequest, typeof LogTailReply> {
  return {
    kind: 'query', domain: 'logs', name: 'tail', subject: adminSubjects.tail(instance),
    request: LogTailRequest, reply: LogTailReply,
    description: 'An instance\'s recent log lines, and a lease to follow its live ones',
  };
}
