import { assertSubject, assertSubjectFilter, assertName, ValidationError } from '@cadre/proto';
import { decodeJson } from '../codec';
import { injectTraceContext, withTraceContext } from '../trace';
import type { Ephemeral, EphemeralMessage, Subscription } from '../types';
import type { Connection } from './connection';
import { fromNatsHeaders, toNatsHeaders } from './headers';
import type { BusLogger } from '../logger';

/** Core NATS pub/sub: at most once, no storage. */
export function natsEphemeral(conn: Connection, logger: BusLogger, track: (s: Subscription) => Subscription): Ephemeral {
  return {
    publish(subject, data, headers) {
      assertSubject(subject);
      if (!(data instanceof Uint8Array)) throw new ValidationError('data must be bytes', { subject });
      const hdrs = toNatsHeaders(injectTraceContext(headers));
      // Fire and forget: while disconnected the client buffers it; once closed it is dropped.
      if (conn.nc.isClosed() || conn.nc.isDraining()) return;
      conn.nc.publish(subject, data, hdrs ? { headers: hdrs } : undefined);
    },
    subscribe(subject, handler, options = {}) {
      assertSubjectFilter(subject);
      if (options.queue !== undefined) assertName('queue', options.queue);
      conn.assertConnected(`subscribe ${subject}`);
      const sub = conn.nc.subscribe(subject, {
        ...(options.queue !== undefined ? { queue: options.queue } : {}),
        callback: (error, msg) => {
          if (error) {
            logger.warn({ subject, err: error }, 'ephemeral subscription error');
            return;
          }
          const headers = fromNatsHeaders(msg.headers);
          const data = msg.data;
          const message: EphemeralMessage = { subject: msg.subject, headers, data, json: <T>() => decodeJson<T>(data) };
          try {
            const result: unknown = withTraceContext(headers, () => handler(message));
            // An async handler's failure must not become an unhandled rejection.
            if (result instanceof Promise) result.catch((thrown: unknown) => logger.warn({ subject, err: thrown }, 'ephemeral handler failed'));
          } catch (thrown) {
            logger.warn({ subject, err: thrown }, 'ephemeral handler failed');
          }
        },
      });
      const closed = sub.closed.then(
        () => undefined,
        () => undefined,
      );
      return track({
        closed,
        async stop() {
          if (!sub.isClosed()) await sub.drain().catch(() => undefined);
          await closed;
        },
      });
    },
  };
}
