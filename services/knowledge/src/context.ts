import type { Bus } from '@cadre/bus';
import type { EventStore, Snapshots } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { Pool } from 'pg';
import type { KnowledgeConfig } from './config';
import type { IndexState } from './index/decider';
import type { RepositorySource } from './index/repository';
import type { GraphCache } from './storage/graph-store';

/** What the knowledge service's handlers and workers share. */
export interface KnowledgeContext {
  readonly config: KnowledgeConfig;
  readonly bus: Bus;
  readonly pool: Pool;
  readonly schema: string;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** This replica's instance name (recorded on the progress of the jobs it runs). */
  readonly instance: string;
  /** The stored graphs of the projects this replica indexed last. */
  readonly graphs: GraphCache;
  /** A project's repository URL as the project holds it (credentials included), for a job whose event masks them. */
  readonly repositoryOf: RepositorySource;
  /** Snapshots of the projects' index streams (which grow by a dozen events a job): reads start after them. */
  readonly jobs: Snapshots<IndexState>;
}
