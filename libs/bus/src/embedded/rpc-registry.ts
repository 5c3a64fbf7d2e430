import { subjectMatcher } from '@cadre/proto';
import type { Headers } from '../types';

/** A reply as it crosses the in-process "wire": JSON bytes of the result or of an ErrorBody. */
export type WireReply = { readonly ok: true; readonly data: Uint8Array } | { readonly ok: false; readonly error: Uint8Array };

/** One endpoint of one served service (one replica). */
export interface Endpoint {
  /** Subject or wildcard filter. */
  readonly subject: string;
  readonly queue: string;
  invoke(subject: string, data: Uint8Array, headers: Headers): Promise<WireReply>;
}

/** Endpoints by subject, shared by the buses of a hub; requests go round-robin within a queue group. */
export class RpcRegistry {
  /** Each endpoint with its subject filter read once (see subjectMatcher). */
  private endpoints: readonly { readonly endpoint: Endpoint; readonly matches: (subject: string) => boolean }[] = [];
  private readonly turns = new Map<string, number>();

  add(endpoints: readonly Endpoint[]): void {
    this.endpoints = [...this.endpoints, ...endpoints.map((endpoint) => ({ endpoint, matches: subjectMatcher(endpoint.subject) }))];
  }

  remove(endpoints: readonly Endpoint[]): void {
    const gone = new Set(endpoints);
    this.endpoints = this.endpoints.filter((e) => !gone.has(e.endpoint));
  }

  /**
   * The endpoint to ask, or undefined when nobody serves the subject. NATS would ask one member
   * of every queue group and take the first reply; asking one member of the first group gives
   * the caller the same outcome without running the handler several times.
   */
  pick(subject: string): Endpoint | undefined {
    const matching = this.endpoints.filter((e) => e.matches(subject)).map((e) => e.endpoint);
    const first = matching[0];
    if (!first) return undefined;
    const group = matching.filter((e) => e.queue === first.queue);
    // Keyed by the endpoint's filter, not the concrete subject (which may carry ids): bounded.
    const key = `${first.queue}\u0000${first.subject}`;
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, (turn + 1) % 1_000_000);
    return group[turn % group.length];
  }
}
