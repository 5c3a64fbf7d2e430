import { deciderSpec } from '@cadre/testing';
import { providerDecider } from './settings';

const provider = deciderSpec(providerDecider);
const openai = { base_url: 'https://api.openai.com/v1', model: 'text-embedding-3-small', dimensions: 384, api_key_set: true };
const set = { type: 'memory_embedding_provider_set' as const, data: openai };

describe('embeddings provider decisions', () => {
  it('set a provider: the event says whether a key is set, never which', () => {
    provider.when({ kind: 'set', provider: openai }).then([set]).thenState({ provider: openai, updatedAt: null });
  });

  it('set the same provider again: a change all the same (its key may be new; replicas rebuild at each version)', () => {
    provider.given([set]).when({ kind: 'set', provider: openai }).then([set]);
  });

  it('remove the provider set through the API, back to the environment\'s', () => {
    provider.given([set]).when({ kind: 'remove' }).then([{ type: 'memory_embedding_provider_removed', data: {} }]).thenState({ provider: null, updatedAt: null });
  });

  it('remove when none was set: nothing changes', () => {
    provider.when({ kind: 'remove' }).then([]);
    provider.given([set, { type: 'memory_embedding_provider_removed', data: {} }]).when({ kind: 'remove' }).then([]);
  });
});
