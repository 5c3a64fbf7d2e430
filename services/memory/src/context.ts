import type { Pool } from 'pg';
import type { Bus } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { ScoreSettings } from '@cadre/proto';
import type { MemoryConfig } from './config';
import type { EmbeddingsRuntime } from './embeddings/runtime';
import type { ProviderSettings } from './embeddings/settings';
import type { MemorySearchDeps } from './search/hybrid';

/** Everything the memory service's handlers and workers share. */
export interface MemoryContext {
  readonly config: MemoryConfig;
  readonly pool: Pool;
  readonly schema: string;
  readonly store: EventStore;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** This replica's instance id (logs, the import a replica runs). */
  readonly instance: string;
  /** The adaptive score's settings, cached a second per replica. */
  readonly settings: () => Promise<ScoreSettings>;
  /** The embedding provider at work with its embedders and vector searches (undefined: full-text only). */
  readonly embeddings: () => Promise<EmbeddingsRuntime | undefined>;
  /** The provider set through the API over the environment's. */
  readonly providers: ProviderSettings;
  readonly search: MemorySearchDeps;
}
