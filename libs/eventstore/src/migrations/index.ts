import type { Migration } from 'kysely';
import * as events from './2025_11_23_0001_events';
import * as outbox from './2025_11_23_0002_outbox';
import * as checkpoints from './2025_11_23_0003_projection_checkpoints';
import * as outboxWithoutPayload from './2025_11_24_0001_outbox_without_payload';
import * as outboxRowPerAppend from './2025_11_24_0002_outbox_row_per_append';

/** Every migration of the event store, keyed by a name that sorts in the order they run. */
export const migrations: Readonly<Record<string, Migration>> = Object.freeze({
  '2025_11_23_0001_events': events,
  '2025_11_23_0002_outbox': outbox,
  '2025_11_23_0003_projection_checkpoints': checkpoints,
  '2025_11_24_0001_outbox_without_payload': outboxWithoutPayload,
  '2025_11_24_0002_outbox_row_per_append': outboxRowPerAppend,
});
