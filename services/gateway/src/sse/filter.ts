import { subjectToken, type EventStreamQuery, type Principal } from '@cadre/proto';
import type { FeedMessage } from './message';

/** Which events one SSE client receives. */
export interface StreamFilter {
  /**
   * Subject filter for the client's own replay (resume): the bus narrows it on the server.
   * Always a superset of `matches`, so the in-process check has the last word.
   */
  readonly subject: string | undefined;
  matches(message: FeedMessage): boolean;
}

/** Events of the identity domain are about users and credentials: admins only. */
const ADMIN_ONLY_DOMAINS = new Set(['identity']);

/**
 * Builds a client's filter. `run_id` and `swarm_id` are the subject's scope token, so they are
 * subject filters; one type is a subject filter too. `session_id` matches the scope (chat
 * sessions) or the data's `session_id` (steps); `agent_id` is in the data only.
 */
export function buildFilter(query: EventStreamQuery, principal: Principal): StreamFilter {
  const admin = principal.role === 'admin';
  const types = query.types === undefined ? undefined : new Set(query.types.split(','));
  const runScope = query.run_id === undefined ? undefined : subjectToken(query.run_id);
  const swarmScope = query.swarm_id === undefined ? undefined : subjectToken(query.swarm_id);
  const sessionScope = query.session_id === undefined ? undefined : subjectToken(query.session_id);
  const { agent_id: agentId, session_id: sessionId } = query;

  const scope = runScope ?? swarmScope;
  const oneType = types?.size === 1 ? [...types][0] : undefined;
  const subject = scope === undefined && oneType === undefined ? undefined : `evt.*.${oneType ?? '*'}.${scope ?? '*'}`;

  return {
    subject,
    matches(message) {
      if (!admin && ADMIN_ONLY_DOMAINS.has(message.domain)) return false;
      if (types && !types.has(message.type)) return false;
      if (runScope !== undefined && message.scope !== runScope) return false;
      if (swarmScope !== undefined && message.scope !== swarmScope) return false;
      if (sessionScope !== undefined && message.scope !== sessionScope && message.data()?.session_id !== sessionId) return false;
      if (agentId !== undefined && message.data()?.agent_id !== agentId) return false;
      return true;
    },
  };
}
