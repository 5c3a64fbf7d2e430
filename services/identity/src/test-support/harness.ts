import { Secret, TOTP } from 'otpauth';
import { type Bus, type StreamMessage, type Subscription } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import {
  CLIENT_ADDRESS_HEADER, PRINCIPAL_HEADER, REQUEST_ID_HEADER, authenticate, domainFilter, type MessageDefinition, type Principal,
} from '@cadre/proto';
import { call, type Service } from '@cadre/runtime';
import { startTestbed } from '@cadre/testbed';
import type { TestDatabase } from '@cadre/testing';
import type { z } from 'zod';
import { loadIdentityConfig, startIdentity } from '../index';

export const ENGINE_TOKEN = 'engine-token-for-the-tests-0123456789';

/**
 * A clock that stands still until the test moves it, so a TOTP code computed in the test
 * cannot fall into another 30 s step by chance. It starts at the beginning of a step.
 */
export class TestClock {
  private readonly base = Math.floor(Date.now() / 30_000) * 30_000 + 1_000;
  offsetMs = 0;
  readonly now = (): Date => new Date(this.base + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface CallOptions {
  /** Access token or API key: authenticated first, as the gateway does, then passed as the principal. */
  readonly as?: string;
  readonly principal?: Principal;
  readonly address?: string;
}

/** One identity service (or several replicas) on a fresh database and a real bus. */
export interface Harness {
  readonly bus: Bus;
  readonly clock: TestClock;
  readonly database: TestDatabase;
  /** Every identity event on the bus so far, as raw JSON text. */
  readonly events: StreamMessage[];
  send<D extends MessageDefinition>(definition: D, payload: z.input<D['request']>, options?: CallOptions): Promise<z.infer<D['reply']>>;
  principalOf(token: string): Promise<Principal>;
  /** Starts one more replica of the service on the same database and bus. */
  addReplica(): Promise<Service>;
  totp(secret: string): string;
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  readonly transport?: 'embedded' | 'nats';
  readonly env?: Readonly<Record<string, string>>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const bed = await startTestbed({ name: 'cadre_identity', transport: options.transport });
  const { database, pool, bus } = bed;
  const clock = new TestClock();
  const config = loadIdentityConfig({ ENGINE_INTERNAL_TOKEN: ENGINE_TOKEN, ...options.env });
  const services: Service[] = [];
  const addReplica = async (): Promise<Service> => {
    const service = await startIdentity({ bus, pool, logger: silentLogger(), instance: `identity-${services.length + 1}` }, config, { clock: clock.now });
    services.push(service);
    return service;
  };
  await addReplica();
  const events: StreamMessage[] = [];
  const watcher: Subscription = await bus.events.replay({ fromSeq: 1, filterSubject: domainFilter('identity') }, (m) => void events.push(m));

  let requests = 0;
  const send: Harness['send'] = async (definition, payload, callOptions = {}) => {
    const principal = callOptions.principal ?? (callOptions.as !== undefined ? await principalOf(callOptions.as) : undefined);
    const headers: Record<string, string> = { [REQUEST_ID_HEADER]: `req-${++requests}` };
    if (principal) headers[PRINCIPAL_HEADER] = JSON.stringify(principal);
    if (callOptions.address) headers[CLIENT_ADDRESS_HEADER] = callOptions.address;
    return call(bus, definition, payload, { headers, timeoutMs: 15_000 });
  };
  const principalOf = (token: string): Promise<Principal> => call(bus, authenticate, { token }, { timeoutMs: 15_000 });

  return {
    bus, clock, database, events, send, principalOf, addReplica,
    totp: (secret) => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: clock.now().getTime() }),
    async dispose() {
      await watcher.stop();
      // Shutting a service down drains the shared bus, so the replicas go first, one by one.
      for (const service of services.reverse()) await service.shutdown('test over');
      await bus.drain();
      await bed.dispose();
    },
  };
}

