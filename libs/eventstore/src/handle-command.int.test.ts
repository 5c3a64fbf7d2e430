import { ConcurrencyError, ConflictError, ValidationError } from '@cadre/proto';
import { createTestDatabase, watchClientQueries, type TestDatabase } from '@cadre/testing';
import { createEventStore, handleCommand, readState, snapshotCache, type CommandOutcome, type EventStore } from './index';
import { cartDecider, type Cart, type CartCommand } from './test-support/cart-decider';
import { shopRegistry } from './test-support/events';

const add = (cartId: string, sku: string, quantity = 1): CartCommand => ({ kind: 'add', cartId, sku, quantity });

describe('handleCommand', () => {
  let database: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_cmd');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
  });

  afterAll(async () => {
    await store?.close();
    await database?.dispose();
  });

  it('reads, decides and appends at the version read, answering the result, the new state and the last position', async () => {
    const first = await handleCommand(store, cartDecider, { stream: 'cart-1', command: add('c1', 'apple', 2), meta: { correlationId: 'req-1' } });
    expect(first.result).toBe(2);
    expect(first.appended.map((e) => [e.type, e.version, e.meta.correlationId])).toEqual([['item_added', 1, 'req-1']]);
    expect(first).toMatchObject({ history: [], state: { units: { apple: 2 }, checkedOut: false }, version: 1 });

    const second = await handleCommand(store, cartDecider, { stream: 'cart-1', command: add('c1', 'pear') });
    expect(second.result).toBe(3);
    expect(second.history.map((e) => e.version)).toEqual([1]);
    expect(second.state.units).toEqual({ apple: 2, pear: 1 });
    expect(second.lastPosition).toBeGreaterThan(first.lastPosition);
    const stored = await store.readAll({ fromPosition: second.lastPosition, limit: 1 });
    expect(stored[0]?.event.id).toBe(second.appended[0]?.id);
  });

  it('decides again on the fresh state when another writer appended in between', async () => {
    await handleCommand(store, cartDecider, { stream: 'cart-2', command: add('c2', 'apple') });
    const seen: Cart[] = [];
    const outcome = await handleCommand(store, cartDecider, {
      stream: 'cart-2',
      // The first try's read is stale by the time it appends: another writer checks the cart out.
      commandFor: async (cart): Promise<CartCommand> => {
        seen.push(cart);
        if (seen.length === 1) await store.append('cart-2', 1, [{ type: 'cart_checked_out', data: { cart_id: 'c2', total: 5 } }]);
        return { kind: 'check_out', cartId: 'c2', unitPrice: 10 };
      },
    });
    expect(seen.map((cart) => cart.checkedOut)).toEqual([false, true]);
    expect(outcome.command).toEqual({ kind: 'check_out', cartId: 'c2', unitPrice: 10 });
    // The second decision saw the checkout and decided nothing: the other writer's total stands.
    expect(outcome.appended).toEqual([]);
    expect(outcome.version).toBe(2);
    expect((await store.readStream('cart-2')).map((e) => [e.type, e.data.total])).toEqual([['item_added', undefined], ['cart_checked_out', 5]]);
  });

  it('lands two first writers of a new stream one after the other (the loser of no_stream decides again)', async () => {
    const outcomes = await Promise.all([
      handleCommand(store, cartDecider, { stream: 'cart-3', command: add('c3', 'apple') }),
      handleCommand(store, cartDecider, { stream: 'cart-3', command: add('c3', 'pear') }),
    ]);
    expect(outcomes.map((o) => o.result).sort()).toEqual([1, 2]);
    expect(outcomes.map((o) => o.version).sort()).toEqual([1, 2]);
    expect((await store.readStream('cart-3')).map((e) => e.version)).toEqual([1, 2]);
  });

  it('appends nothing when the decision has no events, and answers the stream as it is', async () => {
    await handleCommand(store, cartDecider, { stream: 'cart-4', command: add('c4', 'apple') });
    const done = await handleCommand(store, cartDecider, { stream: 'cart-4', command: { kind: 'check_out', cartId: 'c4', unitPrice: 1 } });
    const again = await handleCommand(store, cartDecider, { stream: 'cart-4', command: { kind: 'check_out', cartId: 'c4', unitPrice: 1 } });
    expect(again).toMatchObject({ appended: [], result: 1, version: 2, lastPosition: done.lastPosition, state: { checkedOut: true } });
    expect(await store.streamVersion('cart-4')).toBe(2);
  });

  it('appends nothing and runs no reaction when decide throws', async () => {
    const reacted: string[] = [];
    await handleCommand(store, cartDecider, { stream: 'cart-5', command: add('c5', 'apple') });
    await handleCommand(store, cartDecider, { stream: 'cart-5', command: { kind: 'check_out', cartId: 'c5', unitPrice: 1 } });
    await expect(handleCommand(store, cartDecider, {
      stream: 'cart-5', command: add('c5', 'pear'), reactions: [() => void reacted.push('late')],
    })).rejects.toBeInstanceOf(ConflictError);
    await expect(handleCommand(store, cartDecider, { stream: 'cart-6', command: { kind: 'check_out', cartId: 'c6', unitPrice: 1 } }))
      .rejects.toBeInstanceOf(ValidationError);
    expect(reacted).toEqual([]);
    expect(await store.streamVersion('cart-5')).toBe(2);
    expect(await store.streamVersion('cart-6')).toBe(0);
  });

  it('runs the reactions in order after the commit, each with the outcome', async () => {
    const seen: string[] = [];
    const outcome = await handleCommand(store, cartDecider, {
      stream: 'cart-7',
      command: add('c7', 'apple', 3),
      reactions: [
        async (o: CommandOutcome<Cart, number>) => {
          // Committed already: a fresh read sees the event.
          seen.push(`first v${(await store.streamVersion('cart-7'))} ${o.appended.length} event(s)`);
        },
        (o) => void seen.push(`second units ${o.result}`),
      ],
    });
    expect(seen).toEqual(['first v1 1 event(s)', 'second units 3']);
    expect(outcome.result).toBe(3);
  });

  it('gives up with the ConcurrencyError after the tries allowed', async () => {
    await handleCommand(store, cartDecider, { stream: 'cart-8', command: add('c8', 'apple') });
    let tries = 0;
    await expect(handleCommand(store, cartDecider, {
      stream: 'cart-8', attempts: 3, backoffMs: 1,
      commandFor: async (): Promise<CartCommand> => {
        tries++;
        await store.append('cart-8', 'any', [{ type: 'item_added', data: { cart_id: 'c8', sku: 'noise', quantity: 1 } }]);
        return add('c8', 'apple');
      },
    })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(tries).toBe(3);
  });

  describe('with snapshots', () => {
    it('reads only the events after the snapshot, and two writers with snapshots of their own stay right', async () => {
      const mine = snapshotCache<Cart>(8);
      const theirs = snapshotCache<Cart>(8);
      const read: number[][] = [];
      const counted: Pick<EventStore, 'appendWithRetry' | 'readStream'> = {
        appendWithRetry: (stream, decide, options) => store.appendWithRetry(stream, async (current) => {
          read.push(current.events.map((e) => e.version));
          return decide(current);
        }, options),
        readStream: (stream, options) => store.readStream(stream, options),
      };
      for (let i = 0; i < 5; i++) await handleCommand(counted, cartDecider, { stream: 'cart-s1', command: add('s1', `sku${i}`), snapshots: mine });
      // The snapshot holds what each command appended: none read anything back.
      expect(read).toEqual([[], [], [], [], []]);
      expect(mine.get('cart-s1')).toMatchObject({ version: 5, state: { units: { sku0: 1, sku4: 1 } } });

      // The other writer has no snapshot: it reads everything once, then only what follows.
      read.length = 0;
      const other = await handleCommand(counted, cartDecider, { stream: 'cart-s1', command: add('s1', 'pear', 2), snapshots: theirs });
      expect(other.result).toBe(7);
      // Back to the first: its snapshot is at 5, so it reads version 6 (the other's) before deciding.
      // (It first decides on its snapshot alone and appends at 5: that append finds version 6, so it reads.)
      const back = await handleCommand(counted, cartDecider, { stream: 'cart-s1', command: add('s1', 'fig'), snapshots: mine });
      expect(read).toEqual([[1, 2, 3, 4, 5], [], [6]]);
      expect(back.result).toBe(8);
      expect(back.state.units).toMatchObject({ pear: 2, fig: 1 });

      // A stale snapshot loses the race at its version, reads again after it, and decides on the fresh state.
      await store.append('cart-s1', 7, [{ type: 'cart_checked_out', data: { cart_id: 's1', total: 80 } }]);
      await expect(handleCommand(counted, cartDecider, { stream: 'cart-s1', command: add('s1', 'kiwi'), snapshots: mine })).rejects.toBeInstanceOf(ConflictError);
      const state = await readState(store, cartDecider, 'cart-s1', mine);
      expect(state).toMatchObject({ version: 8, state: { checkedOut: true } });
      expect(state.read.map((e) => e.version)).toEqual([8]);
      expect((await readState(store, cartDecider, 'cart-s1')).state).toEqual(state.state);
      // The read moved the snapshot, with the last event's position: the next read has nothing to read.
      const [last] = await store.readStreamRecords('cart-s1', { fromVersion: 8 });
      expect(mine.get('cart-s1')).toMatchObject({ version: 8, lastPosition: last!.position, state: { checkedOut: true } });
      expect((await readState(store, cartDecider, 'cart-s1', mine)).read).toEqual([]);
    });

    it('answers the position of the stream\'s last event when nothing new was read or appended', async () => {
      const snapshots = snapshotCache<Cart>(2);
      const first = await handleCommand(store, cartDecider, { stream: 'cart-s2', command: add('s2', 'apple'), snapshots });
      await handleCommand(store, cartDecider, { stream: 'cart-s2', command: { kind: 'check_out', cartId: 's2', unitPrice: 1 }, snapshots });
      const again = await handleCommand(store, cartDecider, { stream: 'cart-s2', command: { kind: 'check_out', cartId: 's2', unitPrice: 1 }, snapshots });
      expect(again).toMatchObject({ appended: [], history: [], version: 2, state: { checkedOut: true } });
      expect(again.lastPosition).toBeGreaterThan(first.lastPosition);
      expect(again.lastPosition).toBe((await handleCommand(store, cartDecider, { stream: 'cart-s2', command: { kind: 'check_out', cartId: 's2', unitPrice: 1 } })).lastPosition);
    });

    it('keeps the last streams used, and never moves a snapshot back', () => {
      const snapshots = snapshotCache<number>(2);
      snapshots.set('a', { state: 1, version: 3, lastPosition: 30 });
      snapshots.set('a', { state: 0, version: 2, lastPosition: 20 });
      expect(snapshots.get('a')?.version).toBe(3);
      snapshots.set('b', { state: 1, version: 1, lastPosition: 1 });
      snapshots.get('a');
      snapshots.set('c', { state: 1, version: 1, lastPosition: 2 });
      expect([snapshots.get('a')?.version, snapshots.get('b'), snapshots.get('c')?.version]).toEqual([3, undefined, 1]);
    });

    describe('speculating: deciding on the snapshot and appending at its version without a read', () => {
      // Every statement of this process that reads a stream of the test's schema.
      let stopWatching = (): void => undefined;
      let streamReads = 0;
      beforeAll(() => {
        stopWatching = watchClientQueries((text) => {
          if (/from "shop"\."events" where "stream_id"/.test(text)) streamReads++;
        });
      });
      afterAll(() => stopWatching());

      it('reads nothing while the snapshot is the stream\'s end, and reads every time with speculate: false', async () => {
        const snapshots = snapshotCache<Cart>(8);
        await handleCommand(store, cartDecider, { stream: 'cart-p1', command: add('p1', 'apple'), snapshots });
        const before = streamReads;
        for (let i = 0; i < 4; i++) await handleCommand(store, cartDecider, { stream: 'cart-p1', command: add('p1', `sku${i}`), snapshots });
        expect(streamReads - before).toBe(0);
        const checked = await handleCommand(store, cartDecider, { stream: 'cart-p1', command: { kind: 'check_out', cartId: 'p1', unitPrice: 2 }, snapshots });
        expect(checked).toMatchObject({ result: 5, version: 6 });
        expect(streamReads - before).toBe(0);
        expect((await readState(store, cartDecider, 'cart-p1')).state).toEqual(checked.state);

        const plain = await handleCommand(store, cartDecider, { stream: 'cart-p2', command: add('p2', 'apple'), snapshots });
        const readsBefore = streamReads;
        await handleCommand(store, cartDecider, { stream: 'cart-p2', command: add('p2', 'pear'), snapshots, speculate: false });
        expect(streamReads - readsBefore).toBe(1);
        expect(plain.version).toBe(1);
      });

      it('decides again on the fresh state when another writer moved the stream on, and never appends the stale decision', async () => {
        const snapshots = snapshotCache<Cart>(8);
        await handleCommand(store, cartDecider, { stream: 'cart-p3', command: add('p3', 'apple'), snapshots });
        // Another writer adds a pear: the snapshot (apple only) is stale.
        await store.append('cart-p3', 1, [{ type: 'item_added', data: { cart_id: 'p3', sku: 'pear', quantity: 3 } }]);
        const before = streamReads;
        const outcome = await handleCommand(store, cartDecider, { stream: 'cart-p3', command: add('p3', 'fig'), snapshots });
        expect(streamReads - before).toBe(1);
        // The stale decision would have answered 2 units; the one that stood counted the pear.
        expect(outcome).toMatchObject({ result: 5, version: 3, state: { units: { apple: 1, pear: 3, fig: 1 } } });
        expect((await store.readStream('cart-p3')).map((e) => [e.version, e.data.sku])).toEqual([[1, 'apple'], [2, 'pear'], [3, 'fig']]);

        // Another writer checks the cart out: the add decided on the snapshot fails its append, the read one is refused.
        await store.append('cart-p3', 3, [{ type: 'cart_checked_out', data: { cart_id: 'p3', total: 50 } }]);
        await expect(handleCommand(store, cartDecider, { stream: 'cart-p3', command: add('p3', 'kiwi'), snapshots })).rejects.toBeInstanceOf(ConflictError);
        expect(await store.streamVersion('cart-p3')).toBe(4);
      });

      it('reads the stream whole when the snapshot is ahead of it (a restored database), and keeps what it read', async () => {
        const snapshots = snapshotCache<Cart>(8);
        await handleCommand(store, cartDecider, { stream: 'cart-p5', command: add('p5', 'apple'), snapshots });
        // The snapshot claims four versions the stream does not have.
        snapshots.set('cart-p5', { state: { units: { apple: 1, ghost: 9 }, checkedOut: false }, version: 5, lastPosition: 1e12 });
        const outcome = await handleCommand(store, cartDecider, { stream: 'cart-p5', command: add('p5', 'pear'), snapshots, backoffMs: 1 });
        expect(outcome).toMatchObject({ result: 2, version: 2, state: { units: { apple: 1, pear: 1 } } });
        expect(outcome.history.map((e) => e.version)).toEqual([1]);
        expect(snapshots.get('cart-p5')).toMatchObject({ version: 2, state: { units: { apple: 1, pear: 1 } } });
        // Healed: the next command speculates from it again.
        const before = streamReads;
        await handleCommand(store, cartDecider, { stream: 'cart-p5', command: add('p5', 'fig'), snapshots });
        expect(streamReads - before).toBe(0);
        expect((await store.readStream('cart-p5')).map((e) => e.data.sku)).toEqual(['apple', 'pear', 'fig']);
      });

      it('takes neither a refusal nor a decision of no events from the snapshot alone', async () => {
        const snapshots = snapshotCache<Cart>(8);
        await handleCommand(store, cartDecider, { stream: 'cart-p4', command: add('p4', 'apple'), snapshots });
        // The snapshot says one apple; another writer took the cart to version 2.
        await store.append('cart-p4', 1, [{ type: 'item_added', data: { cart_id: 'p4', sku: 'pear', quantity: 1 } }]);
        // Refused on the snapshot (a rule that holds only on the stale state), accepted on the stream read.
        const seen: number[] = [];
        const outcome = await handleCommand(store, cartDecider, {
          stream: 'cart-p4', snapshots,
          commandFor: (cart): CartCommand => {
            seen.push(Object.keys(cart.units).length);
            if (cart.units.pear === undefined) throw new ValidationError('no pear yet');
            return add('p4', 'fig');
          },
        });
        expect(seen).toEqual([1, 2]);
        expect(outcome).toMatchObject({ version: 3, result: 3 });

        // No events on the snapshot, events on the stream: the store reads before it answers nothing.
        const mark = snapshots.get('cart-p4')!;
        await store.append('cart-p4', 3, [{ type: 'item_added', data: { cart_id: 'p4', sku: 'plum', quantity: 1 } }]);
        const appended = await store.appendWithRetry('cart-p4', (current) =>
          current.version < 4 ? [] : [{ type: 'item_added', data: { cart_id: 'p4', sku: 'kiwi', quantity: 1 } }],
        { after: { version: mark.version, lastPosition: mark.lastPosition }, speculate: true });
        expect(appended.events.map((e) => e.version)).toEqual([5]);
      });
    });
  });
});
