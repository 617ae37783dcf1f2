import { gql } from '@shopgraph/kit/testing';
import { expect } from 'vitest';
import { createTestProduct, type TestStack } from './stack.ts';

/** A running stack and an admin's access token: what the helpers below act with. */
export interface Shop {
  stack: TestStack;
  admin: string;
}

/** A shipping address in Germany (the zone every test catalog ships to). */
export const ADDRESS = { recipientName: 'Ada Lovelace', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' };

/** A new active product priced in EUR with `stock` units on hand. */
export async function newProduct(f: Shop, options: { stock?: number; price?: number; name?: string; weightGrams?: number } = {}): Promise<string> {
  const id = await createTestProduct(f.stack, f.admin, {
    weightGrams: options.weightGrams ?? 500,
    ...(options.name ? { name: options.name } : {}),
  });
  const price = await gql(f.stack.url, 'mutation($id: ID!, $amount: Int!) { setPrice(productId: $id, amount: $amount, currency: "EUR") { amount } }', { id, amount: options.price ?? 1_000 }, { token: f.admin });
  expect(price.errors).toBeUndefined();
  if ((options.stock ?? 100) > 0) {
    const stock = await gql(f.stack.url, 'mutation($id: ID!, $delta: Int!) { adjustStock(productId: $id, delta: $delta, reason: "delivery") { available } }', { id, delta: options.stock ?? 100 }, { token: f.admin });
    expect(stock.errors).toBeUndefined();
  }
  return id;
}

/** A product's stock levels, read through the router. */
export async function stockOf(f: Shop, productId: string) {
  const res = await gql(f.stack.url, 'query($id: ID!) { product(id: $id) { stock { onHand reserved available } } }', { id: productId });
  return res.data!.product.stock as { onHand: number; reserved: number; available: number };
}

/** The id of an order's shipment, as an admin sees it. */
export async function shipmentOf(f: Shop, orderId: string): Promise<string> {
  const res = await gql(f.stack.url, 'query($id: ID!) { order(id: $id) { shipment { id } } }', { id: orderId }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.order.shipment.id;
}

/** Moves a shipment on as an admin, through `routerUrl` (default: the stack's router), expecting success. */
export async function moveShipment(f: Shop, shipmentId: string, status: string, routerUrl = f.stack.url): Promise<void> {
  const res = await gql(routerUrl, 'mutation($id: ID!, $status: ShipmentStatus!) { updateShipmentStatus(shipmentId: $id, status: $status) { status } }', { id: shipmentId, status }, { token: f.admin });
  expect(res.errors).toBeUndefined();
}
