import { sql, type Transaction } from 'kysely';
import type { EventEnvelope } from '@cadre/proto';

/** A tiny read model for projection tests: units per cart. */
export interface CartTotalsDb {
  readonly cart_totals: { readonly cart_id: string; readonly units: number; readonly events: number };
}

export async function createCartTotalsTable(trx: Transaction<CartTotalsDb> | { query: (q: string) => Promise<unknown> }): Promise<void> {
  const ddl = 'CREATE TABLE IF NOT EXISTS shop.cart_totals (cart_id text PRIMARY KEY, units int NOT NULL, events int NOT NULL)';
  if ('query' in trx) await trx.query(ddl);
  else await sql.raw(ddl).execute(trx);
}

export async function applyToCartTotals(trx: Transaction<CartTotalsDb>, event: EventEnvelope): Promise<void> {
  if (event.type !== 'item_added') return;
  const cartId = String(event.data.cart_id);
  const quantity = Number(event.data.quantity);
  await trx.withSchema('shop').insertInto('cart_totals').values({ cart_id: cartId, units: quantity, events: 1 })
    .onConflict((oc) => oc.column('cart_id').doUpdateSet((eb) => ({ units: eb('cart_totals.units', '+', quantity), events: eb('cart_totals.events', '+', 1) })))
    .execute();
}

export async function resetCartTotals(trx: Transaction<CartTotalsDb>): Promise<void> {
  await trx.withSchema('shop').deleteFrom('cart_totals').execute();
}
