import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import { Empty, ProviderId, ProviderView } from './schemas';

/** The configured model providers, keys masked. */
export const providerList = defineQuery({
  domain: 'agents', name: 'providers', description: 'List model providers (keys masked)',
  request: Empty, reply: z.object({ providers: z.array(ProviderView) }),
});

/** Configures a provider (admin); the key is encrypted at rest. `api_key: null` removes a key set through the API. */
export const providerUpdate = defineCommand({
  domain: 'agents', name: 'provider_update', description: 'Configure a model provider (admin)',
  request: z.object({
    id: ProviderId,
    kind: z.enum(['openai', 'anthropic', 'dry-run']).optional(),
    base_url: z.url().nullable().optional(),
    api_key: z.string().min(1).max(4096).nullable().optional(),
    enabled: z.boolean().optional(),
  }),
  reply: ProviderView,
});

/** Every provider's key in plain text (admin only). */
export const providerKeys = defineQuery({
  domain: 'agents', name: 'provider_keys', description: 'Provider API keys in plain text (admin)',
  request: Empty, reply: z.object({ keys: z.record(z.string(), z.string()) }),
});
