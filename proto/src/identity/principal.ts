import { z } from 'zod';
import { defineQuery } from '../messages';

/** Who is calling: resolved from a bearer credential by the identity service. */
export const Principal = z.object({
  kind: z.enum(['user', 'api_key', 'service']),
  user_id: z.string().optional().describe('The user acting (absent for the engine service credential)'),
  role: z.enum(['admin', 'member']),
  /** The credential used: a session id for access tokens, a key id for API keys. */
  credential_id: z.string(),
  /** Seconds since the epoch after which the credential is no longer valid, when it expires. */
  expires_at: z.number().int().optional(),
});
export type Principal = z.infer<typeof Principal>;

/**
 * Resolves a bearer credential (access JWT, API key, or ENGINE_INTERNAL_TOKEN) to a principal.
 * Replies with an `unauthenticated` error for an unknown, expired or revoked credential.
 */
export const authenticate = defineQuery({
  domain: 'identity',
  name: 'authenticate',
  description: 'Resolve a bearer credential to the principal it stands for',
  request: z.object({ token: z.string().min(1).max(4096) }),
  reply: Principal,
});

/** Header through which the gateway passes the resolved principal to services (JSON). */
export const PRINCIPAL_HEADER = 'cadre-principal';
/** Header carrying the request id from the gateway to services and logs. */
export const REQUEST_ID_HEADER = 'cadre-request-id';
