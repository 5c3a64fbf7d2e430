import { ValidationError } from '@cadre/proto';
import type { WorkerOptions } from '../../types';

/** Worker options with defaults applied and checked. */
export interface WorkerSettings {
  readonly ackWaitMs: number;
  readonly maxAttempts: number;
  readonly concurrency: number;
}

const DEFAULTS: WorkerSettings = { ackWaitMs: 30_000, maxAttempts: 5, concurrency: 1 };

/** Applies defaults; bad options are a ValidationError. */
export function workerSettings(options: WorkerOptions | undefined): WorkerSettings {
  const settings = {
    ackWaitMs: options?.ackWaitMs ?? DEFAULTS.ackWaitMs,
    maxAttempts: options?.maxAttempts ?? DEFAULTS.maxAttempts,
    concurrency: options?.concurrency ?? DEFAULTS.concurrency,
  };
  for (const [key, value] of Object.entries(settings)) {
    if (!Number.isInteger(value) || value < 1) throw new ValidationError(`${key} must be a positive integer`, { [key]: value });
  }
  return settings;
}

/** Delay before retrying a job whose handler threw: 250 ms doubling per attempt, at most a minute (as on NATS). */
export function retryBackoffMs(attempt: number): number {
  return Math.min(250 * 2 ** Math.max(0, attempt - 1), 60_000);
}
