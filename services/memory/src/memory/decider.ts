import { ConflictError, NotFoundError, type EventEnvelope } from '@cadre/proto';
import type { Decider } from '@cadre/eventstore';
import { SHARED_VAULT } from '@cadre/proto';
import { wikiLinks } from './links';

/** What a memory holds. */
export interface MemoryContent {
  readonly title: string;
  readonly body: string;
  readonly type: string;
  readonly tags: readonly string[];
}

export interface MemoryState extends Partial<MemoryContent> {
  readonly exists: boolean;
  readonly deleted: boolean;
  readonly memoryId?: string;
  readonly agentId?: string;
  readonly links?: readonly string[];
}

export type MemoryCommand =
  | { readonly kind: 'save'; readonly memoryId: string; readonly agentId: string; readonly content: MemoryContent; readonly importId?: string; readonly runId?: string }
  | { readonly kind: 'update'; readonly memoryId: string; readonly agentId: string; readonly patch: Partial<MemoryContent> }
  | { readonly kind: 'delete'; readonly memoryId: string; readonly agentId: string };

export type MemoryEvent =
  | { readonly type: 'memory_saved' | 'memory_updated'; readonly data: MemoryEventData }
  | { readonly type: 'memory_deleted'; readonly data: { readonly memory_id: string; readonly agent_id: string; readonly shared: boolean } };

interface MemoryEventData {
  readonly memory_id: string;
  readonly agent_id: string;
  readonly shared: boolean;
  readonly title: string;
  readonly body: string;
  readonly type: string;
  readonly tags: readonly string[];
  readonly links: readonly string[];
  readonly import_id?: string;
  readonly run_id?: string;
}

/** What a command did to the memory. */
export type MemoryResult = 'created' | 'updated' | 'unchanged' | 'deleted';

export const memoryStream = (memoryId: string): string => `memory-${memoryId}`;

const notFound = (id: string) => new NotFoundError(`no memory '${id}'`);

function sameContent(state: MemoryState, content: MemoryContent): boolean {
  return state.title === content.title && state.body === content.body && state.type === content.type
    && JSON.stringify(state.tags) === JSON.stringify(content.tags);
}

function contentEvent(type: 'memory_saved' | 'memory_updated', memoryId: string, agentId: string, content: MemoryContent,
  extra: { importId?: string | undefined; runId?: string | undefined } = {}): MemoryEvent {
  return {
    type,
    data: {
      memory_id: memoryId, agent_id: agentId, shared: agentId === SHARED_VAULT,
      title: content.title, body: content.body, type: content.type, tags: [...content.tags], links: wikiLinks(content.body),
      ...(extra.importId !== undefined ? { import_id: extra.importId } : {}),
      ...(extra.runId !== undefined ? { run_id: extra.runId } : {}),
    },
  };
}

/**
 * One memory's rules. Saving an id that exists with the same content appends nothing (an
 * import run twice, or resumed after a crash, saves each memory once); with other content it is
 * an update. A memory stays in the vault it was saved to.
 */
export const memoryDecider: Decider<MemoryCommand, MemoryState, MemoryEvent, MemoryResult> = {
  initialState: { exists: false, deleted: false },
  decide(command, state) {
    const live = state.exists && !state.deleted;
    if (live && state.agentId !== command.agentId) {
      if (command.kind === 'save') throw new ConflictError(`memory id '${command.memoryId}' is in another vault`);
      throw notFound(command.memoryId);
    }
    switch (command.kind) {
      case 'save': {
        if (!live) {
          return { events: [contentEvent('memory_saved', command.memoryId, command.agentId, command.content, command)], result: 'created' };
        }
        if (sameContent(state, command.content)) return { events: [], result: 'unchanged' };
        return { events: [contentEvent('memory_updated', command.memoryId, command.agentId, command.content, command)], result: 'updated' };
      }
      case 'update': {
        if (!live) throw notFound(command.memoryId);
        const next: MemoryContent = {
          title: command.patch.title ?? state.title!, body: command.patch.body ?? state.body!,
          type: command.patch.type ?? state.type!, tags: command.patch.tags ?? state.tags!,
        };
        if (sameContent(state, next)) return { events: [], result: 'unchanged' };
        return { events: [contentEvent('memory_updated', command.memoryId, command.agentId, next)], result: 'updated' };
      }
      case 'delete': {
        if (!live) throw notFound(command.memoryId);
        return {
          events: [{ type: 'memory_deleted', data: { memory_id: command.memoryId, agent_id: command.agentId, shared: command.agentId === SHARED_VAULT } }],
          result: 'deleted',
        };
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'memory_saved':
      case 'memory_updated':
        return {
          exists: true, deleted: false, memoryId: event.data.memory_id, agentId: event.data.agent_id,
          title: event.data.title, body: event.data.body, type: event.data.type, tags: event.data.tags, links: event.data.links,
        };
      case 'memory_deleted':
        return { ...state, deleted: true };
    }
  },
  fromEnvelope(envelope: EventEnvelope) {
    if (envelope.type === 'memory_saved' || envelope.type === 'memory_updated' || envelope.type === 'memory_deleted') {
      return { type: envelope.type, data: envelope.data } as unknown as MemoryEvent;
    }
    return undefined;
  },
};
