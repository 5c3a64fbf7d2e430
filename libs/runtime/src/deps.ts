import type { Bus } from '@cadre/bus';
import type { Logger } from '@cadre/logging';
import type { Pool } from 'pg';

/**
 * What the composition root hands a service: the same shape in embedded mode (every service in
 * one process, sharing one bus and pool) and distributed mode (one service per process).
 * A service exports `start<Name>(deps, config)` and returns a runtime `Service`.
 */
export interface ServiceDeps {
  readonly bus: Bus;
  /** Postgres pool; the service keeps its tables in its own schema. */
  readonly pool: Pool;
  readonly logger: Logger;
  /** Id of this process or replica (logs, metrics, container listing). */
  readonly instance: string;
  /** Port for the probe/metrics server; undefined serves none (embedded mode has one for all). */
  readonly probePort?: number;
}
