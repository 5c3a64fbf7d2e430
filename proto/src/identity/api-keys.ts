import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import { EntityId, Empty, Timestamp, storedText } from './schemas';

/** An API key as listed: never the key itself nor its hash. */
export const ApiKeyView = z.object({
  id: EntityId,
  name: z.string(),
  prefix: z.string().describe('The start of the key (cadre_<prefix>), to tell keys apart'),
  created_at: Timestamp,
  expires_at: Timestamp.nullable(),
  last_used_at: Timestamp.nullable(),
}).describe('An API key (without its secret)');
export type ApiKeyView = z.infer<typeof ApiKeyView>;

/** Creates an API key for the calling user; the key is in this reply only. */
export const apiKeyCreate = defineCommand({
  domain: 'identity',
  name: 'api_key_create',
  description: 'Create an API key; the key is shown once and stored hashed',
  request: z.object({
    name: storedText(200).describe('What the key is for'),
    expires_at: Timestamp.optional().describe('When the key stops working'),
    expires_in_days: z.number().int().min(1).max(3650).optional()
      .describe('Alternative to expires_at; without either the key lives the default lifetime (90 days unless configured)'),
    password: z.string().max(1024).optional()
      .describe('Your password: needed unless you signed in (with your password) in the last few minutes'),
  }).refine((r) => r.expires_at === undefined || r.expires_in_days === undefined, {
    message: 'give expires_at or expires_in_days, not both', path: ['expires_at'],
  }),
  reply: ApiKeyView.omit({ last_used_at: true }).extend({
    key: z.string().describe('The API key (cadre_<prefix>_<secret>); it cannot be shown again'),
  }),
});

/** The calling user's API keys that are not revoked. */
export const apiKeyList = defineQuery({
  domain: 'identity',
  name: 'api_keys',
  description: 'List the calling user\'s API keys',
  request: z.object({}),
  reply: z.object({ api_keys: z.array(ApiKeyView) }),
});

/** Revokes an API key of the caller (an admin may revoke anyone's). */
export const apiKeyRevoke = defineCommand({
  domain: 'identity',
  name: 'api_key_revoke',
  description: 'Revoke an API key',
  request: z.object({ id: EntityId }),
  reply: Empty,
});
