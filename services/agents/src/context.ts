import type { Bus } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { AgentCatalog } from './catalog/catalog';
import type { AgentsConfig } from './config';
import type { LlmCallsReader } from './readmodel/llm-calls';
import type { ProviderSettingsService } from './settings/providers';
import type { ToolRegistry } from './tools/registry';

/** Everything the agents service's handlers and executor share. */
export interface AgentsContext {
  readonly config: AgentsConfig;
  readonly bus: Bus;
  readonly store: EventStore;
  readonly logger: Logger;
  readonly catalog: AgentCatalog;
  readonly tools: ToolRegistry;
  readonly providers: ProviderSettingsService;
  readonly llmCalls: LlmCallsReader;
  readonly clock: () => Date;
  readonly newId: () => string;
  /** Monotonic milliseconds. */
  readonly now: () => number;
}
