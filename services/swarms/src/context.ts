import type { Kysely } from 'kysely';
import type { LRUCache } from 'lru-cache';
import type { Pool } from 'pg';
import type { Bus } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { SwarmsConfig } from './config';
import type { SwarmState } from './swarm/state';
import type { SwarmsDatabase } from './storage/database';

/** What the handlers and workers of the swarms service share. */
export interface SwarmsContext {
  readonly bus: Bus;
  readonly pool: Pool;
  readonly db: Kysely<SwarmsDatabase>;
  readonly schema: string;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly config: SwarmsConfig;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** A number in [0, 1) for retry jitter. */
  readonly random: () => number;
  /** This replica's wake-up timer per swarm (a retry due, the global timeout); the sweeper covers the others. */
  readonly timers: Map<string, NodeJS.Timeout>;
  /** Swarms this replica folded lately, each at the version it was folded to (reads continue from there). */
  readonly states: LRUCache<string, SwarmState>;
  /** Version up to which this replica wrote each swarm's list row lately (the projection passes those over). */
  readonly writtenViews: LRUCache<string, number>;
}
