import type { Pool } from 'pg';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { createPool } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';

export interface TestbedOptions {
  /** Prefix of the database's name (e.g. `cadre_runs`). */
  readonly name: string;
  /** `embedded` (default): the in-process bus on the test database; `nats`: a nats-server of its own. */
  readonly transport?: 'embedded' | 'nats';
  /** The embedded bus's safety poll (its default suits production, not a test waiting on it). */
  readonly pollIntervalMs?: number;
  /** Connections of the pool the services under test share (default 20). */
  readonly poolSize?: number;
}

/** What a service's integration tests stand on; `dispose` ends the pool and the servers (drain the bus first). */
export interface Testbed {
  readonly database: TestDatabase;
  readonly pool: Pool;
  readonly bus: Bus;
  readonly nats: TestNats | undefined;
  dispose(): Promise<void>;
}

/**
 * A fresh database, a pool on it, and a bus of either transport: on NATS, streams named after the
 * database, so suites sharing a nats-server (`NATS_URL`) never see each other's events or jobs.
 */
export async function startTestbed(options: TestbedOptions): Promise<Testbed> {
  const database = await createTestDatabase(options.name);
  const pool = createPool({ connectionString: database.url, max: options.poolSize ?? 20 });
  let nats: TestNats | undefined;
  let bus: Bus;
  if (options.transport === 'nats') {
    nats = await startNats();
    bus = await connectNatsBus({ servers: nats.url, streamName: `EVENTS_${database.name}`, jobsStreamName: `JOBS_${database.name}` });
  } else {
    bus = await createEmbeddedBus({ databaseUrl: database.url, ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}) });
  }
  return {
    database, pool, bus, nats,
    async dispose() {
      await pool.end();
      await nats?.dispose();
      await database.dispose();
    },
  };
}
