import { z } from 'zod';
import { EventRegistry, defineEvent } from '@cadre/proto';

/** Event types of a small test domain ("shop"), used by the event store's own tests. */
export const itemAdded = defineEvent({
  type: 'item_added', domain: 'shop', version: 1, description: 'An item was added to a cart',
  data: z.object({ cart_id: z.string(), sku: z.string(), quantity: z.number().int().positive() }),
});

export const cartCheckedOut = defineEvent({
  type: 'cart_checked_out', domain: 'shop', version: 1, description: 'The cart was checked out',
  data: z.object({ cart_id: z.string(), total: z.number() }),
});

/** A load-test event: `n` is the event's index within its stream, 1-based. */
export const tick = defineEvent({
  type: 'tick', domain: 'shop', version: 1, description: 'One event of a load test',
  data: z.object({ n: z.number().int().positive() }),
});

export function shopRegistry(): EventRegistry {
  return new EventRegistry([itemAdded, cartCheckedOut, tick]);
}

/**
 * `item_added` as a later release defines it: version 2 names the shop the item came from, and
 * its upcaster gives events written at version 1 the shop they all came from then.
 */
export const itemAddedV2 = defineEvent({
  type: 'item_added', domain: 'shop', version: 2, description: 'An item was added to a cart, from a shop',
  data: z.object({ cart_id: z.string(), sku: z.string(), quantity: z.number().int().positive(), shop: z.string() }),
  upcasters: { 1: (data) => ({ ...data, shop: 'main' }) },
});

/** The shop's registry of that later release: what a reader upgraded before the writers knows. */
export function shopRegistryV2(): EventRegistry {
  return new EventRegistry([itemAddedV2, cartCheckedOut, tick]);
}
