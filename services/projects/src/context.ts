import type { Kysely } from 'kysely';
import type { LRUCache } from 'lru-cache';
import type { Pool } from 'pg';
import type { Counter } from 'prom-client';
import type { Bus } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { ProjectsConfig } from './config';
import type { ProjectState } from './project/state';

/** What the handlers and workers of the projects service share. */
export interface ProjectsContext {
  readonly config: ProjectsConfig;
  readonly bus: Bus;
  readonly pool: Pool;
  readonly schema: string;
  readonly store: EventStore;
  /** Kysely on the pool (tables named with their schema). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Decisions taken again because another writer appended to the stream first (optimistic concurrency), by aggregate. */
  readonly conflicts: Counter<'aggregate'>;
  /**
   * Projects as this replica last folded them: a read folds only the events after (a stream only
   * grows), so a board of thousands of dependency edges is not folded again on every request.
   */
  readonly projects: LRUCache<string, { readonly state: ProjectState; readonly streamVersion: number }>;
}
