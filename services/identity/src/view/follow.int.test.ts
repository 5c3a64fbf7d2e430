import { z } from 'zod';
import { createEmbeddedBus, type Bus, type Subscription } from '@cadre/bus';
import { createEventStore, outboxBacklog, startOutboxRelay, type EventStore, type OutboxRelay } from '@cadre/eventstore';
import { silentLogger } from '@cadre/logging';
import { EventRegistry, createEventRegistry, defineEvent } from '@cadre/proto';
import { createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { streams } from '../events';
import { followIdentityEvents } from './follow';
import { createReader } from './reader';
import { IdentityView } from './view';

/**
 * `user_created` as a later release might define it: e-mail addresses in lower case, those of
 * events written before lowered by the upcaster.
 */
const userCreatedV2 = defineEvent({
  type: 'user_created', domain: 'identity', version: 2, description: 'A user account was created (e-mail in lower case)',
  data: z.object({ user_id: z.string().min(1), email: z.string(), name: z.string().nullable(), role: z.enum(['admin', 'member']) }),
  upcasters: { 1: (data) => ({ ...data, email: String(data.email).toLowerCase() }) },
});

describe('identity view', () => {
  let database: TestDatabase;
  let bus: Bus;
  /** A replica of the earlier release: it writes user_created at version 1. */
  let writer: EventStore;
  /** The replica upgraded since: user_created is at version 2 in its registry. */
  let upgraded: EventStore;
  let relay: OutboxRelay;

  beforeAll(async () => {
    database = await createTestDatabase('identity_view_follow');
    bus = await createEmbeddedBus({ databaseUrl: database.url });
    writer = await createEventStore({ databaseUrl: database.url, schema: 'identity', registry: createEventRegistry() });
    const registry = new EventRegistry(createEventRegistry().all().map((definition) => (definition.type === 'user_created' ? userCreatedV2 : definition)));
    upgraded = await createEventStore({ pool: writer.pool, schema: 'identity', registry, migrate: false });
    relay = startOutboxRelay({ store: writer, bus });
  });

  afterAll(async () => {
    await relay?.stop();
    await bus?.drain();
    await writer?.close();
    await database?.dispose();
  });

  const createUser = (version: number, id: string, email: string) =>
    writer.append(streams.directory, version === 1 ? 'no_stream' : version - 1, [{ type: 'user_created', data: { user_id: id, email, name: null, role: 'member' } }]);

  it('folds events written at an older schema version upcast, from the store and from the bus', async () => {
    await createUser(1, 'u-1', 'Ada@Example.com');
    await eventually(async () => expect(await outboxBacklog(writer)).toBe(0), 10_000, 20);
    const view = new IdentityView();
    const follower: Subscription = await followIdentityEvents({ bus, store: upgraded, view, reader: createReader(view, upgraded), logger: silentLogger() });
    try {
      // Read from the store when the view was built.
      expect(view.userByEmail('ada@example.com')).toMatchObject({ id: 'u-1' });
      // Written by the earlier release after the view was built: it comes from the bus as written, at version 1.
      await createUser(2, 'u-2', 'Bob@Example.com');
      await eventually(() => expect(view.versionOf(streams.directory)).toBe(2), 10_000, 20);
      expect(view.userByEmail('bob@example.com')).toMatchObject({ id: 'u-2', email: 'bob@example.com' });
      expect(view.userByEmail('Bob@Example.com')).toBeUndefined();
    } finally {
      await follower.stop();
    }
  });
});
