import { assertName, assertSubject, assertSubjectFilter, subjectMatcher, UnavailableError, ValidationError } from '@cadre/proto';
import { decodeJson } from '../codec';
import { withTraceContext } from '../trace';
import type { Ephemeral, EphemeralMessage, Headers, Subscription } from '../types';
import { outgoingHeaders } from './headers';
import type { BusLogger } from '../logger';

interface Subscriber {
  readonly filter: string;
  /** The filter, read once (see subjectMatcher). */
  readonly matches: (subject: string) => boolean;
  readonly queue: string | undefined;
  readonly handler: (message: EphemeralMessage) => void;
  active: boolean;
}

/** In-process pub/sub shared by the buses of a hub: wildcard filters, queue groups round-robin. */
export class EphemeralHub {
  private subscribers: readonly Subscriber[] = [];
  private readonly turns = new Map<string, number>();

  constructor(private readonly logger: BusLogger) {}

  add(subscriber: Subscriber): void {
    this.subscribers = [...this.subscribers, subscriber];
  }

  remove(subscriber: Subscriber): void {
    subscriber.active = false;
    this.subscribers = this.subscribers.filter((s) => s !== subscriber);
  }

  publish(subject: string, data: Uint8Array, headers: Headers): void {
    const matching = this.subscribers.filter((s) => s.matches(subject));
    const groups = new Map<string, Subscriber[]>();
    const targets: Subscriber[] = [];
    for (const s of matching) {
      if (s.queue === undefined) targets.push(s);
      else groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
    }
    for (const [queue, members] of groups) {
      const turn = this.turns.get(queue) ?? 0;
      this.turns.set(queue, (turn + 1) % 1_000_000);
      const chosen = members[turn % members.length];
      if (chosen) targets.push(chosen);
    }
    for (const target of targets) this.deliver(target, subject, data, headers);
  }

  private deliver(target: Subscriber, subject: string, data: Uint8Array, headers: Headers): void {
    // Each subscriber gets its own copy, later, as over a wire: nobody shares bytes with the publisher.
    const copy = new Uint8Array(data);
    setImmediate(() => {
      if (!target.active) return;
      const message: EphemeralMessage = { subject, headers, data: copy, json: <T>() => decodeJson<T>(copy) };
      try {
        const result: unknown = withTraceContext(headers, () => target.handler(message));
        if (result instanceof Promise) result.catch((error: unknown) => this.handlerFailed(error, subject));
      } catch (error) {
        this.handlerFailed(error, subject);
      }
    });
  }

  private handlerFailed(error: unknown, subject: string): void {
    this.logger.error({ err: error, subject }, 'embedded bus: ephemeral handler failed');
  }
}

/** One bus's view of the hub's pub/sub; its subscriptions end when the bus closes. */
export function ephemeralFor(
  hub: EphemeralHub,
  isOpen: () => boolean,
  assertAccepting: (what: string) => void,
  track: (s: Subscription) => () => void,
): Ephemeral {
  return {
    publish(subject, data, headers) {
      if (!isOpen()) throw new UnavailableError('ephemeral publish: bus is closed');
      assertSubject(subject);
      if (!(data instanceof Uint8Array)) throw new ValidationError('data must be a Uint8Array');
      hub.publish(subject, data, outgoingHeaders(headers));
    },
    subscribe(subject, handler, options) {
      assertAccepting('ephemeral subscribe');
      assertSubjectFilter(subject);
      if (options?.queue !== undefined) assertName('queue', options.queue);
      const subscriber: Subscriber = { filter: subject, matches: subjectMatcher(subject), queue: options?.queue, handler, active: true };
      hub.add(subscriber);
      let markClosed: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (markClosed = resolve));
      const subscription: Subscription = {
        closed,
        stop: async () => {
          hub.remove(subscriber);
          untrack();
          markClosed();
        },
      };
      const untrack = track(subscription);
      return subscription;
    },
  };
}
