import { hostname } from 'node:os';
import type { Bus, ServiceHandle, Subscription } from '@cadre/bus';
import { encodeJson } from '@cadre/bus';
import type { LogTap, TappedLine } from '@cadre/logging';
import {
  adminSubjects, instanceToken, levelAtLeast, LogTailRequest, parseOrThrow,
  type InstanceInfo, type LogBatch, type LogLine, type LogTailReply,
} from '@cadre/proto';

export interface ReporterOptions {
  readonly bus: Bus;
  readonly instance: string;
  readonly service: string;
  readonly version: string;
  /** Where the instance's lines are kept (the logger's tap; an empty one when it has none). */
  readonly tap: LogTap;
  /** Heartbeat interval (default 5 s). */
  readonly heartbeatMs?: number;
  /** Live lines are sent at most this often, batched (default 50 ms). */
  readonly flushMs?: number;
  readonly now?: () => number;
}

export interface Reporter {
  /** Says it is going (registries drop it at once) and stops answering. */
  stop(): Promise<void>;
}

const MAX_BATCH = 500;

/**
 * What makes an instance visible to operators, the same over NATS and embedded: a heartbeat on
 * `instances.heartbeat.<id>` (and at once on `instances.ping`), its recent lines on request at
 * `logs.qry.tail.<id>`, and its new lines on `logs.<id>` — only while someone holds a follow
 * lease, so an instance nobody watches sends nothing. Lines stay in the process (a bounded
 * ring), so there is no log store to fill and no connection per viewer.
 */
export async function startReporter(options: ReporterOptions): Promise<Reporter> {
  const { bus, tap, instance } = options;
  const now = options.now ?? Date.now;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const flushMs = options.flushMs ?? 50;
  const startedAt = new Date(now()).toISOString();
  let stopped = false;

  const info = (): InstanceInfo => ({
    id: instance, service: options.service, host: hostname(), pid: process.pid, version: options.version,
    transport: bus.transport, started_at: startedAt, last_heartbeat: new Date(now()).toISOString(),
  });
  const publish = (subject: string, payload: unknown): void => {
    if (stopped && subject !== adminSubjects.gone(instance)) return;
    try {
      bus.ephemeral.publish(subject, encodeJson(payload));
    } catch {
      // Disconnected or closing: the next heartbeat tries again.
    }
  };
  const beat = () => publish(adminSubjects.heartbeat(instance), info());

  // Live lines: only while a lease is held, batched.
  let leaseUntil = 0;
  let batch: TappedLine[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const lines = batch;
    batch = [];
    for (let i = 0; i < lines.length; i += MAX_BATCH) {
      const message: LogBatch = { instance, lines: lines.slice(i, i + MAX_BATCH).map(toLogLine) };
      publish(adminSubjects.live(instance), message);
    }
  };
  const unlisten = tap.onLine((line) => {
    if (stopped || now() > leaseUntil) return;
    batch.push(line);
    if (batch.length >= MAX_BATCH) {
      clearTimeout(timer);
      // Never publish from inside a log call: the bus may log, and that would come back here.
      timer = setTimeout(flush, 0);
    } else timer ??= setTimeout(flush, flushMs);
  });

  const handle: ServiceHandle = await bus.serve({
    name: 'logs',
    version: options.version,
    description: `log lines of ${instance}`,
    queue: instanceToken(instance),
    endpoints: {
      [adminSubjects.tail(instance)]: (payload): LogTailReply => {
        const request = parseOrThrow(LogTailRequest, payload);
        if (request.follow_ms !== undefined && request.follow_ms > 0) leaseUntil = Math.max(leaseUntil, now() + request.follow_ms);
        const level = request.level;
        const keep = level === undefined ? undefined : (line: TappedLine) => levelAtLeast(toLogLine(line).level, level);
        const lines = tap.tail(request.tail, keep, request.after_seq ?? 0).map(toLogLine);
        return { instance, service: options.service, last_seq: tap.lastSeq, lines };
      },
    },
  });
  const ping: Subscription = bus.ephemeral.subscribe(adminSubjects.ping, () => beat());
  const interval = setInterval(beat, heartbeatMs);
  interval.unref();
  beat();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(interval);
      clearTimeout(timer);
      unlisten();
      publish(adminSubjects.gone(instance), info());
      await Promise.allSettled([ping.stop(), handle.stop()]);
    },
  };
}

const parsed = new WeakMap<TappedLine, LogLine>();

/** The line as JSON with its sequence; a line that is not JSON is kept as its text. */
export function toLogLine(line: TappedLine): LogLine {
  let out = parsed.get(line);
  if (out) return out;
  try {
    const value = JSON.parse(line.raw) as unknown;
    out = typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(value as Record<string, unknown>), seq: line.seq } : { seq: line.seq, msg: line.raw };
  } catch {
    out = { seq: line.seq, msg: line.raw };
  }
  parsed.set(line, out);
  return out;
}
