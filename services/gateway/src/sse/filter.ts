import { eventFilter, subjectToken, visibilityOf, type EventStreamQuery, type Principal, type Visibility } from '@cadre/proto';
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

/**
 * Builds a client's filter: what the caller may see (the domain's visibility), then what it
 * asked for. `run_id` is the subject's scope token, so it is a subject filter; one type is a
 * subject filter too. `swarm_id` matches the swarm's own events (their scope) and those of its
 * tasks' runs (runs and agents events carrying the swarm's id in their data), so it narrows in process. `session_id` matches the scope (chat
 * sessions) or the data's `session_id` (steps); `agent_id` is in the data only.
 */
export function buildFilter(query: EventStreamQuery, principal: Principal, visibility: Readonly<Record<string, Visibility>> = {}): StreamFilter {
  const admin = principal.role === 'admin';
  const userId = principal.user_id;
  // Who sees what (ARCHITECTURE §9): admins everything; a member a public domain's events and
  // the events they own — read from the event itself, never looked up.
  const visible = (message: FeedMessage): boolean => {
    if (admin) return true;
    switch (visibilityOf(visibility, message.domain)) {
      case 'public': return true;
      case 'owner': return userId !== undefined && message.owner() === userId;
      case 'admin': return false;
    }
  };
  const types = query.types === undefined ? undefined : new Set(query.types.split(','));
  const runScope = query.run_id === undefined ? undefined : subjectToken(query.run_id);
  const swarmScope = query.swarm_id === undefined ? undefined : subjectToken(query.swarm_id);
  const sessionScope = query.session_id === undefined ? undefined : subjectToken(query.session_id);
  // A project's events (its board, tasks, policy) have the project as their scope.
  const projectScope = query.project_id === undefined ? undefined : subjectToken(query.project_id);
  const { agent_id: agentId, session_id: sessionId, swarm_id: swarmId } = query;

  // A swarm's filter also takes its tasks' run events (other scopes): it cannot narrow the subject.
  const scope = runScope ?? projectScope;
  const oneType = types?.size === 1 ? [...types][0] : undefined;
  const subject = scope === undefined && oneType === undefined ? undefined : eventFilter({ type: oneType, scope });

  return {
    subject,
    matches(message) {
      if (!visible(message)) return false;
      if (types && !types.has(message.type)) return false;
      if (runScope !== undefined && message.scope !== runScope) return false;
      if (swarmScope !== undefined && message.scope !== swarmScope && message.data()?.swarm_id !== swarmId) return false;
      if (projectScope !== undefined && message.scope !== projectScope) return false;
      if (sessionScope !== undefined && message.scope !== sessionScope && message.data()?.session_id !== sessionId) return false;
      if (agentId !== undefined && message.data()?.agent_id !== agentId) return false;
      return true;
    },
  };
}
