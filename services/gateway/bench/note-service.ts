import { z } from 'zod';
import type { Bus } from '@cadre/bus';
import { createEventStore, startOutboxRelay, type EventStore, type OutboxRelay } from '@cadre/eventstore';
import { EventRegistry, allEvents, defineCommand, defineEvent, defineQuery, defineRoute, type RouteDefinition } from '@cadre/proto';
import type { Pool } from 'pg';

/** A bench-only event: what the command appends. */
export const noteAdded = defineEvent({
  type: 'bench_note_added', domain: 'bench', version: 1, description: 'A note (benchmark only)',
  data: z.object({ note_id: z.string(), text: z.string(), sent_at: z.number() }),
});

export const addNote = defineCommand({
  domain: 'bench', name: 'add_note', description: 'Append a note event (benchmark only)',
  request: z.object({ text: z.string().max(1000) }),
  reply: z.object({ position: z.number() }),
});

export const echo = defineQuery({
  domain: 'bench', name: 'echo', description: 'Answer the request as it came (benchmark only)',
  request: z.object({ text: z.string().max(1000) }),
  reply: z.object({ text: z.string() }),
});

/** The same path without the database: what the gateway and the bus cost on their own. */
export const echoRoute: RouteDefinition = defineRoute({
  method: 'post', path: '/v1/bench/echo', operationId: 'benchEcho', summary: 'Echo (benchmark)', tags: ['bench'],
  access: 'user', body: echo.request, response: echo.reply, successStatus: 201, message: echo,
});

export const addNoteRoute: RouteDefinition = defineRoute({
  method: 'post', path: '/v1/bench/notes', operationId: 'benchAddNote', summary: 'Append a note (benchmark)', tags: ['bench'],
  access: 'user', body: addNote.request, response: addNote.reply, successStatus: 201, message: addNote,
});

export interface NoteService {
  readonly store: EventStore;
  stop(): Promise<void>;
}

/**
 * A tiny service on the bus: `bench.cmd.add_note` appends one event to its Postgres event store
 * (outbox included), and the relay publishes it to the stream — the path of every real command.
 */
export async function startNoteService(bus: Bus, pool: Pool): Promise<NoteService> {
  const store = await createEventStore({ pool, schema: 'bench', registry: new EventRegistry([...allEvents, noteAdded]), domain: 'bench' });
  const relay: OutboxRelay = startOutboxRelay({ store, bus });
  let n = 0;
  // sent_at: when the append began, on a clock other threads and processes of this host share.
  const append = async (text: string, sentAt: number): Promise<number> => {
    const id = `note-${process.pid}-${n++}`;
    const result = await store.append(id, 'no_stream', [{ type: noteAdded.type, data: { note_id: id, text, sent_at: sentAt } }], { subjectScope: id });
    return result.lastPosition;
  };
  const handle = await bus.serve({
    name: 'bench', version: '1.0.0',
    endpoints: {
      [echo.subject]: (payload) => payload,
      [addNote.subject]: async (payload) => ({ position: await append((payload as { text: string }).text, performance.timeOrigin + performance.now()) }),
    },
  });
  return {
    store,
    async stop() {
      await handle.stop();
      await relay.stop();
    },
  };
}
