import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import type { Bus } from '../types';
import type { BusHarness } from './harness';

/** What every concern file of the suite gets: the harness and three buses on one broker. */
export interface ContractContext {
  readonly harness: () => BusHarness;
  /** Three buses ("processes") on the same broker, opened before the first test. */
  readonly a: () => Bus;
  readonly b: () => Bus;
  readonly c: () => Bus;
}

/** Opens the harness and its three buses around the suite. */
export function contractContext(makeHarness: () => Promise<BusHarness>): ContractContext {
  let harness: BusHarness | undefined;
  let buses: Bus[] = [];
  beforeAll(async () => {
    harness = await makeHarness();
    buses = [await harness.open(), await harness.open(), await harness.open()];
  });
  afterAll(async () => {
    await harness?.dispose();
  });
  const bus = (i: number) => (): Bus => {
    const found = buses[i];
    if (!found) throw new Error('the contract harness did not open');
    return found;
  };
  return {
    harness: () => {
      if (!harness) throw new Error('the contract harness did not open');
      return harness;
    },
    a: bus(0),
    b: bus(1),
    c: bus(2),
  };
}

/** A name no other test uses (letters, digits and `_`, so it fits subjects, durables and queues). */
export function unique(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export function bytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `check` holds, or fails after `timeoutMs` with `what` in the message. */
export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * A round trip on `bus`, after which its earlier subscriptions are in place at the broker
 * (NATS sends SUB before the request on the same connection).
 */
export async function barrier(bus: Bus): Promise<void> {
  await bus.events.lastSeq();
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
