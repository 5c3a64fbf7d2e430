import type { z } from 'zod';
import type { Decider } from '@cadre/eventstore';
import { ConflictError, type EventEnvelope, type attachmentStored } from '@cadre/proto';

export type StoredData = z.input<typeof attachmentStored.data>;
type StoredEvent = { readonly type: 'attachment_stored'; readonly data: StoredData; readonly occurredAt?: string };

/** An attachment: nothing, or what was stored (once; a second store of the same id is a conflict). */
export type AttachmentState = { readonly data: StoredData; readonly createdAt: string } | undefined;

export const attachmentStream = (id: string): string => `attachment-${id}`;

export const attachmentDecider: Decider<{ readonly data: StoredData }, AttachmentState, StoredEvent> = {
  initialState: undefined,
  decide({ data }, state) {
    if (state !== undefined) throw new ConflictError(`attachment ${data.attachment_id} already exists`);
    return [{ type: 'attachment_stored', data }];
  },
  evolve: (_state, event) => ({ data: event.data, createdAt: event.occurredAt ?? '' }),
  fromEnvelope: (e: EventEnvelope) => (e.type === 'attachment_stored' ? { type: e.type, data: e.data as StoredData, occurredAt: e.occurredAt } : undefined),
};
