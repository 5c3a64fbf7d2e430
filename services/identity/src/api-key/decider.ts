import type { Decider } from '@cadre/eventstore';
import { toIdentityEvent, type IdentityEvent } from '../events';
import { evolveApiKey, initialApiKey, type ApiKeyState } from './api-key';
import { decideApiKey, type ApiKeyCommand } from './decide';

/** One API key: created once, revoked by its owner or an admin. */
export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyState, IdentityEvent> = {
  initialState: initialApiKey, decide: decideApiKey, evolve: evolveApiKey, fromEnvelope: toIdentityEvent,
};
