import { runProjection, type ProjectionDefinition, type ProjectionFeed } from '@cadre/eventstore';
import type { ServiceKit, Worker } from './define';

/** What a projection needs of the service: its kit, or a context that carries the same parts. */
export type ProjectionKit = Pick<ServiceKit<unknown>, 'pool' | 'schema' | 'store' | 'bus' | 'logger'>;

/**
 * How long a consumer lets events gather before it takes them (`lingerMs`) when nobody waits on
 * it: a projection its writers keep current themselves (written with the append or before the
 * reply, the projection a backstop), one read by people, a safety net. On the embedded bus its
 * events then come several to a claim, an ack statement and (a projection) a transaction.
 */
export const BACKSTOP_LINGER_MS = 50;

/**
 * Starts one of the service's projections as a worker: its rows and checkpoint in the service's
 * schema, built from the service's store when new, then fed from the bus by the durable consumer
 * `<schema>-<name>` (or `feed.durable`), every event upcast through the store's registry.
 *
 * ```ts
 * workers: async (ctx) => [await startProjection(ctx.kit, llmCallsProjection(ctx.kit.schema))],
 * ```
 */
export function startProjection<DB>(kit: ProjectionKit, definition: ProjectionDefinition<DB>, feed: ProjectionFeed = {}): Promise<Worker> {
  return runProjection(definition, { pool: kit.pool, schema: kit.schema, store: kit.store, bus: kit.bus, logger: kit.logger, ...feed });
}
