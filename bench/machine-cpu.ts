import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** CPU time (ms) of every process, by command name, and of the whole machine, at one moment. */
export interface CpuReading {
  readonly byCommand: ReadonlyMap<string, number>;
  readonly byPid: ReadonlyMap<number, number>;
  /** Busy time of all cores together (everything but idle and iowait). */
  readonly machineBusyMs: number;
}

/** What each process's CPU went to between two readings, in ms. */
export interface CpuWindow {
  commandMs(name: string): number;
  /** One process's CPU (0 for a pid not seen at both readings). */
  pidMs(pid: number): number;
  readonly machineBusyMs: number;
}

/**
 * Reads /proc (Linux): user + system time of each running process, summed by command name, and
 * the machine's busy time. Undefined where /proc is not there. A process that exits between two
 * readings takes its time with it (the services' pools keep their Postgres connections open).
 */
export function readCpu(): CpuReading | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = (stat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …
  const busyTicks = fields.reduce((a, b) => a + b, 0) - (fields[3] ?? 0) - (fields[4] ?? 0);
  const byCommand = new Map<string, number>();
  const byPid = new Map<number, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let line: string;
    try {
      line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const open = line.indexOf('(');
    const close = line.lastIndexOf(')');
    const name = line.slice(open + 1, close);
    const rest = line.slice(close + 2).split(' ');
    // After the name: state, ppid, …; utime and stime are fields 14 and 15 of the line (11 and 12 here).
    const ms = ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS_PER_SECOND;
    byCommand.set(name, (byCommand.get(name) ?? 0) + ms);
    byPid.set(Number(pid), ms);
  }
  return { byCommand, byPid, machineBusyMs: (busyTicks * 1000) / TICKS_PER_SECOND };
}

/** The CPU used between two readings (undefined without /proc). */
export function cpuBetween(before: CpuReading | undefined, after: CpuReading | undefined): CpuWindow | undefined {
  if (before === undefined || after === undefined) return undefined;
  return {
    commandMs: (name) => Math.max(0, (after.byCommand.get(name) ?? 0) - (before.byCommand.get(name) ?? 0)),
    pidMs: (pid) => (before.byPid.has(pid) && after.byPid.has(pid) ? Math.max(0, after.byPid.get(pid)! - before.byPid.get(pid)!) : 0),
    machineBusyMs: after.machineBusyMs - before.machineBusyMs,
  };
}
