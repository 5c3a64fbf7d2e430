import type { EventStore } from '@cadre/eventstore';
import { streams } from '../events';
import type { ApiKeyRecord, IdentityView, SessionRecord, UserRecord } from './view';

/**
 * Reads through the view, going to the event store only for what this replica has not seen
 * yet (a session started on another replica a moment ago, a stream with a gap). A catch-up
 * reads just the versions after the one the view holds: one index probe, usually no rows.
 */
export interface Reader {
  /** Folds the events of `stream` this replica has not seen yet. */
  catchUp(stream: string): Promise<void>;
  user(id: string): Promise<UserRecord | undefined>;
  session(id: string): Promise<SessionRecord | undefined>;
  apiKey(id: string): Promise<ApiKeyRecord | undefined>;
}

export function createReader(view: IdentityView, store: Pick<EventStore, 'readStream'>): Reader {
  const catchUp = async (stream: string): Promise<void> => {
    const events = await store.readStream(stream, { fromVersion: view.versionOf(stream) + 1 });
    for (const event of events) view.apply(event);
  };
  const lookup = async <T>(get: () => T | undefined, stream: string): Promise<T | undefined> => {
    const found = get();
    if (found !== undefined) return found;
    await catchUp(stream);
    return get();
  };
  return {
    catchUp,
    // A deleted user is final: the tokens of one cost no catch-up read, however often they come.
    user: async (id) => (view.isDeleted(id) ? undefined : lookup(() => view.user(id), streams.directory)),
    session: (id) => lookup(() => view.session(id), streams.session(id)),
    apiKey: (id) => lookup(() => view.apiKey(id), streams.apiKey(id)),
  };
}
