import { ValidationError, type EventStreamQuery, type Visibility } from '@cadre/proto';
import type { LocalHandler } from '../http/router';
import { state } from '../http/state';
import { buildFilter } from './filter';
import type { SseHub } from './hub';

const SEQUENCE = /^\d{1,15}$/;

/** `GET /v1/events/stream`: the resume point (header first, then query) and the filters, then the hub takes over. */
export function eventStreamHandler(hub: SseHub, visibility: Readonly<Record<string, Visibility>>): LocalHandler {
  return async (req, res, input) => {
    // Express answers HEAD with the GET route; a stream has no place in a HEAD response.
    if (req.method === 'HEAD') {
      res.status(200).type('text/event-stream').end();
      return;
    }
    const query = input.query as EventStreamQuery;
    const header = req.get('last-event-id');
    if (header !== undefined && header.trim() !== '' && !SEQUENCE.test(header.trim())) {
      throw new ValidationError('Validation failed', [{ path: 'headers.last-event-id', message: 'expected a stream sequence number' }]);
    }
    const raw = header !== undefined && header.trim() !== '' ? header.trim() : query.last_event_id;
    const principal = state(res).principal;
    if (!principal) throw new Error('stream route reached without a principal');
    await hub.attach(res, principal, buildFilter(query, principal, visibility), raw === undefined ? undefined : Number(raw));
  };
}
