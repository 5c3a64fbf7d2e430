import type { z } from 'zod';
import type {
  EventEnvelope, apiKeyCreated, apiKeyRevoked, sessionRefreshed, sessionRevoked, sessionStarted, setupCompleted,
  twoFactorDisabled, twoFactorEnabled, userCreated, userDeleted, userUpdated,
} from '@cadre/proto';

type Event<TType extends string, TDef extends { readonly data: z.ZodType }> = {
  readonly id: string;
  readonly type: TType;
  readonly occurredAt: string;
  readonly data: z.infer<TDef['data']>;
};

/** Every identity event as domain code sees it: id and time (set by the command), type, data. */
export type IdentityEvent =
  | Event<'user_created', typeof userCreated>
  | Event<'user_updated', typeof userUpdated>
  | Event<'user_deleted', typeof userDeleted>
  | Event<'setup_completed', typeof setupCompleted>
  | Event<'session_started', typeof sessionStarted>
  | Event<'session_refreshed', typeof sessionRefreshed>
  | Event<'session_revoked', typeof sessionRevoked>
  | Event<'api_key_created', typeof apiKeyCreated>
  | Event<'api_key_revoked', typeof apiKeyRevoked>
  | Event<'two_factor_enabled', typeof twoFactorEnabled>
  | Event<'two_factor_disabled', typeof twoFactorDisabled>;

export type IdentityEventType = IdentityEvent['type'];

/** Every identity event type (what the view folds). */
export const identityEventTypes: readonly IdentityEventType[] = [
  'user_created', 'user_updated', 'user_deleted', 'setup_completed', 'session_started', 'session_refreshed',
  'session_revoked', 'api_key_created', 'api_key_revoked', 'two_factor_enabled', 'two_factor_disabled',
];

const TYPES: ReadonlySet<string> = new Set<string>(identityEventTypes);

/**
 * The domain view of a stored or relayed envelope, or undefined for another domain's event.
 * Data is not parsed again: identity wrote it, and the store validated it at append.
 */
export function toIdentityEvent(envelope: Pick<EventEnvelope, 'id' | 'type' | 'occurredAt' | 'data'>): IdentityEvent | undefined {
  if (!TYPES.has(envelope.type)) return undefined;
  return { id: envelope.id, type: envelope.type, occurredAt: envelope.occurredAt, data: envelope.data } as IdentityEvent;
}

/** Builds an event of `type` (what `decide` returns). */
export function event<T extends IdentityEventType>(
  type: T, id: string, now: Date, data: Extract<IdentityEvent, { type: T }>['data'],
): Extract<IdentityEvent, { type: T }> {
  return { id, type, occurredAt: now.toISOString(), data } as Extract<IdentityEvent, { type: T }>;
}

/** Stream ids of the aggregates. */
export const streams = {
  /** Every user, so that e-mail uniqueness, "one setup" and "keep an admin" hold under concurrency. */
  directory: 'identity-users',
  session: (sessionId: string) => `identity-session-${sessionId}`,
  apiKey: (keyId: string) => `identity-api-key-${keyId}`,
  twoFactor: (userId: string) => `identity-two-factor-${userId}`,
} as const;
