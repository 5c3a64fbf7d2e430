import type { Logger } from 'pino';

/** One line as the tap keeps it: its sequence in this process's log, and the JSON text pino wrote. */
export interface TappedLine {
  readonly seq: number;
  readonly raw: string;
}

export interface LogTapLimits {
  /** Lines kept (oldest dropped first). */
  readonly maxLines?: number;
  /** Bytes kept, counted over the lines' text. */
  readonly maxBytes?: number;
  /** A longer line is kept as a short stand-in that says so. */
  readonly maxLineBytes?: number;
}

const DEFAULTS = { maxLines: 2000, maxBytes: 2 * 1024 * 1024, maxLineBytes: 16 * 1024 };

/**
 * The recent lines of one logger, bounded in lines and bytes (a ring), and a hook for live
 * lines. Every logger made by `createLogger` writes to one; the service runtime serves it over
 * the bus (tail on request, live lines while someone follows), so logs can be read the same
 * way embedded and distributed, without a log store.
 */
export class LogTap {
  private readonly lines: TappedLine[] = [];
  private head = 0;
  private bytes = 0;
  private seq = 0;
  private readonly listeners = new Set<(line: TappedLine) => void>();
  private readonly limits: Required<LogTapLimits>;

  constructor(limits: LogTapLimits = {}) {
    this.limits = { ...DEFAULTS, ...limits };
  }

  /** Sequence of the last line written (0 before any). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Takes what pino writes: one or more JSON lines. Never throws. */
  write(chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const part of text.split('\n')) {
      if (part.length === 0) continue;
      this.push(part.length > this.limits.maxLineBytes ? oversized(part) : part);
    }
  }

  /** The last `n` kept lines with `seq > afterSeq` that pass `keep`, oldest first. */
  tail(n: number, keep: (line: TappedLine) => boolean = () => true, afterSeq = 0): TappedLine[] {
    const out: TappedLine[] = [];
    for (let i = this.lines.length - 1; i >= this.head && out.length < n; i--) {
      const line = this.lines[i]!;
      if (line.seq <= afterSeq) break;
      if (keep(line)) out.push(line);
    }
    return out.reverse();
  }

  /** Calls `listener` with each new line until the returned function is called. */
  onLine(listener: (line: TappedLine) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private push(raw: string): void {
    const line: TappedLine = { seq: ++this.seq, raw };
    this.lines.push(line);
    this.bytes += raw.length;
    while (this.lines.length - this.head > this.limits.maxLines || (this.bytes > this.limits.maxBytes && this.lines.length - this.head > 1)) {
      this.bytes -= this.lines[this.head]!.raw.length;
      this.head++;
    }
    // Compact now and then rather than shifting on every line.
    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines.splice(0, this.head);
      this.head = 0;
    }
    for (const listener of this.listeners) {
      try {
        listener(line);
      } catch {
        // A listener's failure must not reach the code that logged.
      }
    }
  }
}

function oversized(raw: string): string {
  const level = /"level":"([a-z]+)"/.exec(raw.slice(0, 200))?.[1] ?? 'info';
  const time = /"time":"([^"]+)"/.exec(raw.slice(0, 300))?.[1] ?? new Date().toISOString();
  const escaped = /"msg":"((?:[^"\\]|\\.){0,500})/.exec(raw)?.[1] ?? '';
  let msg = escaped;
  try {
    msg = JSON.parse(`"${escaped}"`) as string;
  } catch {
    // Cut inside an escape: keep the text as written.
  }
  return JSON.stringify({ level, time, msg, truncated: true, bytes: raw.length });
}

const taps = new WeakMap<Logger, LogTap>();

/** Remembers the tap a root logger writes to. */
export function registerLogTap(logger: Logger, tap: LogTap): void {
  taps.set(logger, tap);
}

/** The tap of a logger made by `createLogger` (undefined for other loggers and for child loggers). */
export function logTapOf(logger: Logger): LogTap | undefined {
  return taps.get(logger);
}
