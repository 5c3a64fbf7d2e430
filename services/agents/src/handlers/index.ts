import type { RequestHandler } from '@cadre/bus';
import type { AgentsContext } from '../context';
import { agentHandlers } from './agents';
import { llmCallHandlers } from './llm-calls';
import { providerHandlers } from './providers';

/** Every endpoint of the agents service, by subject. */
export function agentsEndpoints(ctx: AgentsContext): Readonly<Record<string, RequestHandler>> {
  return Object.fromEntries([...agentHandlers(ctx), ...llmCallHandlers(ctx), ...providerHandlers(ctx)]);
}
