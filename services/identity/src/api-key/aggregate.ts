import type { Aggregate } from '../command';
import { evolveApiKey, initialApiKey, type ApiKeyState } from './api-key';

export const apiKeyAggregate: Aggregate<ApiKeyState> = { initial: initialApiKey, evolve: evolveApiKey };
