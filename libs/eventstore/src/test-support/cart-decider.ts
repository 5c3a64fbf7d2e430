import { ConflictError, ValidationError, type EventEnvelope } from '@cadre/proto';
import type { Decider } from '../decider';

/** A cart: units per SKU, and whether it was checked out. */
export interface Cart {
  readonly units: Readonly<Record<string, number>>;
  readonly checkedOut: boolean;
}

export type CartEvent =
  | { readonly type: 'item_added'; readonly data: { readonly cart_id: string; readonly sku: string; readonly quantity: number } }
  | { readonly type: 'cart_checked_out'; readonly data: { readonly cart_id: string; readonly total: number } };

export type CartCommand =
  | { readonly kind: 'add'; readonly cartId: string; readonly sku: string; readonly quantity: number }
  | { readonly kind: 'check_out'; readonly cartId: string; readonly unitPrice: number };

const unitsOf = (cart: Cart): number => Object.values(cart.units).reduce((sum, n) => sum + n, 0);

/**
 * The decider of the event store's own tests: adding to a checked-out cart is a conflict, an
 * empty cart cannot be checked out, and checking out twice decides nothing. It answers the
 * cart's units after the command.
 */
export const cartDecider: Decider<CartCommand, Cart, CartEvent, number> = {
  initialState: { units: {}, checkedOut: false },
  decide(command, cart) {
    switch (command.kind) {
      case 'add':
        if (cart.checkedOut) throw new ConflictError('cart is checked out');
        return {
          events: [{ type: 'item_added', data: { cart_id: command.cartId, sku: command.sku, quantity: command.quantity } }],
          result: unitsOf(cart) + command.quantity,
        };
      case 'check_out':
        if (cart.checkedOut) return { events: [], result: unitsOf(cart) };
        if (unitsOf(cart) === 0) throw new ValidationError('an empty cart cannot be checked out');
        return { events: [{ type: 'cart_checked_out', data: { cart_id: command.cartId, total: unitsOf(cart) * command.unitPrice } }], result: unitsOf(cart) };
    }
  },
  evolve(cart, event) {
    switch (event.type) {
      case 'item_added':
        return { ...cart, units: { ...cart.units, [event.data.sku]: (cart.units[event.data.sku] ?? 0) + event.data.quantity } };
      case 'cart_checked_out':
        return { ...cart, checkedOut: true };
    }
  },
  fromEnvelope: (envelope: EventEnvelope) =>
    envelope.type === 'item_added' || envelope.type === 'cart_checked_out' ? ({ type: envelope.type, data: envelope.data } as CartEvent) : undefined,
};
