import type { LRUCache } from 'lru-cache';
import type { Pool } from 'pg';
import type { Bus } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { Pipeline } from '@cadre/pipelines';
import type { PipelineRegistry } from './pipelines/registry';
import type { RunSnapshots } from './run/snapshots';

/** What a replica remembers of a run's pipeline. */
export type KnownPipeline = { readonly own: Pipeline } | { readonly id: string };

/** What the handlers and the orchestrator of the runs service share. */
export interface RunsContext {
  readonly bus: Bus;
  readonly pool: Pool;
  readonly schema: string;
  readonly store: EventStore;
  readonly pipelines: PipelineRegistry;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  /**
   * The pipeline of each run seen lately: its own (the definition it was created with, or a
   * spawned run's), or, for a run created before runs carried theirs, the registry id to look up.
   * Neither ever changes after `run_created`, so this never goes stale.
   */
  readonly runPipelines: LRUCache<string, KnownPipeline>;
  /** The state of the live runs this replica commanded lately: a report appends without reading. */
  readonly runSnapshots: RunSnapshots;
  /** Version up to which this replica wrote each run's read models lately (the projection passes those over). */
  readonly syncedViews: LRUCache<string, number>;
  /**
   * Step jobs this replica put on the work queue lately (their dedup ids): the dispatcher acks
   * their step_queued without reading the run, since the job is already there.
   */
  readonly enqueuedSteps: LRUCache<string, true>;
  /**
   * This replica's commands on a run in progress, until they end (the projection waits for them
   * to note what they committed in syncedViews; a command registers before it appends).
   */
  readonly writingViews: Map<string, Promise<void>>;
  /** A page of the runs list stops growing past this many bytes. */
  readonly listPageBytes: number;
}
