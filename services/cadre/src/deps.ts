import type { Pool } from 'pg';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import type { SharedConfig } from '@cadre/config';
import type { Logger } from '@cadre/logging';

/** The bus a process part gets: a NATS connection of its own (NATS_URL), else an embedded bus on the pool. */
export function connectBus(shared: SharedConfig, name: string, pool: Pool, logger: Logger): Promise<Bus> {
  return shared.NATS_URL
    ? connectNatsBus({ servers: shared.NATS_URL.split(','), name, logger })
    : createEmbeddedBus({ pool, logger });
}
