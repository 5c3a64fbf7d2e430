import { RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { isNotFound } from './errors';

/** The streams the bus keeps: the event stream and the work-queue stream. */
export interface StreamNames {
  readonly events: string;
  readonly jobs: string;
}

/** Subject prefix of work-queue jobs: `jobs.<queue>`. */
export const JOBS_PREFIX = 'jobs';

/**
 * Creates the streams, or brings an existing one's subjects and duplicate window in line.
 * Safe to run from every replica at once.
 */
export async function ensureStreams(jsm: JetStreamManager, names: StreamNames, duplicateWindowMs: number): Promise<void> {
  const window = nanos(duplicateWindowMs);
  await ensureStream(jsm, { name: names.events, subjects: ['evt.>'], storage: StorageType.File, retention: RetentionPolicy.Limits, duplicate_window: window });
  await ensureStream(jsm, {
    name: names.jobs,
    subjects: [`${JOBS_PREFIX}.>`],
    storage: StorageType.File,
    // Work-queue retention drops a job once acked, so depth is what is left to do.
    retention: RetentionPolicy.Workqueue,
    duplicate_window: window,
  });
}

type Wanted = Pick<StreamConfig, 'name' | 'subjects' | 'storage' | 'retention' | 'duplicate_window'>;

async function ensureStream(jsm: JetStreamManager, wanted: Wanted): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.streams.info(wanted.name);
      const current = info.config;
      const same = current.duplicate_window === wanted.duplicate_window && sameSubjects(current.subjects, wanted.subjects);
      if (!same) await jsm.streams.update(wanted.name, { ...current, subjects: wanted.subjects, duplicate_window: wanted.duplicate_window });
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await jsm.streams.add(wanted);
      return;
    } catch (error) {
      // Another replica created it between our look and our add: look again.
      if (attempt >= 2) throw error;
    }
  }
}

function sameSubjects(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return (a ?? []).length === b.length && b.every((s) => a?.includes(s));
}
