import { LRUCache } from 'lru-cache';
import type { Snapshot, Snapshots } from '@cadre/eventstore';
import { presentedBytes } from '../view/sync';
import { initialRunState, isTerminal, type RunState } from './state';

/** Bytes of JSON each object was measured at: a state shares most objects with the one before it. */
const measured = new WeakMap<object, number>();

function jsonBytes(value: object | undefined): number {
  if (value === undefined) return 0;
  let size = measured.get(value);
  if (size === undefined) {
    size = JSON.stringify(value)?.length ?? 0;
    measured.set(value, size);
  }
  return size;
}

/**
 * A run state's memory, roughly: its texts, pipeline definition and outputs as JSON, and a share
 * per attempt (twice that for the heap), with the read-model rows kept for it as JSON (see
 * view/sync.ts presentedRows).
 */
function estimate(state: RunState): number {
  let bytes = 1_024 + jsonBytes(state.pipelineSnapshot) + jsonBytes(state.spawn) + state.taskDescription.length
    + (state.humanContext?.length ?? 0) + (state.error?.length ?? 0) + presentedBytes(state);
  for (const attempt of state.attempts) bytes += 512 + jsonBytes(attempt.outputs) + (attempt.feedback?.length ?? 0) + (attempt.error?.length ?? 0);
  return 2 * bytes;
}

/** What one replica keeps of the runs it commands: see runSnapshots. */
export interface RunSnapshots extends Snapshots<RunState> {
  /** Marks the stream of a run id just made: it does not exist yet (a create then appends at once). */
  fresh(streamId: string): void;
  /**
   * Whether a command should decide on the kept state without reading: while most kept states
   * were still the stream's end. A hit costs one round trip and a miss three (the append that
   * finds the stream moved on, the read, the append) against two for reading first, so it pays
   * above one hit in two — one replica, or a few whose commands on a run mostly land where the
   * last one did; with many replicas taking a run's reports at random, reading first is cheaper.
   */
  speculating(): boolean;
  /** After a command that began from a kept state: whether that state was still the stream's end. */
  observe(wasCurrent: boolean): void;
}

/** How many recent commands the hit rate mostly reflects (an exponential average over about these). */
const HIT_RATE_WINDOW = 16;

/**
 * The state of each live run this replica commanded lately, at the version it last wrote or read
 * (bounded by `maxBytes`, roughly measured). A report then decides on it and appends at its version
 * without reading the stream; if another replica wrote in between, the append finds the stream
 * moved on and the command reads and decides again. A run that ended is forgotten: what follows
 * an end (a restart, a late report) is rare and reads.
 */
export function runSnapshots(maxBytes: number): RunSnapshots {
  const cache = new LRUCache<string, Snapshot<RunState>>({ max: 100_000, maxSize: maxBytes, sizeCalculation: (s) => estimate(s.state) });
  // The version at which each run lately ended here: an older command's state, stored after, must not bring it back.
  const ended = new LRUCache<string, number>({ max: 100_000 });
  // Measured whether speculating or not: a command that reads first still sees whether anything followed the kept state.
  let hitRate = 1;
  return {
    speculating: () => hitRate >= 0.5,
    observe(wasCurrent) {
      hitRate += ((wasCurrent ? 1 : 0) - hitRate) / HIT_RATE_WINDOW;
    },
    get: (streamId) => cache.get(streamId),
    delete: (streamId) => void cache.delete(streamId),
    set(streamId, snapshot) {
      if (isTerminal(snapshot.state)) {
        cache.delete(streamId);
        ended.set(streamId, Math.max(ended.get(streamId) ?? 0, snapshot.version));
        return;
      }
      // A restart brings a run back at a later version than its end.
      if ((ended.get(streamId) ?? -1) >= snapshot.version) return;
      // Another command of this replica may have stored a later one meanwhile: never go back.
      const known = cache.peek(streamId);
      if (known !== undefined && known.version > snapshot.version) return;
      cache.set(streamId, snapshot);
    },
    fresh(streamId) {
      if (!cache.has(streamId)) cache.set(streamId, { state: initialRunState, version: 0, lastPosition: 0 });
    },
  };
}
