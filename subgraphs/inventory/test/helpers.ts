import { connectDb, type Role } from '@shopgraph/kit';
import { gql, type GraphQLResponse, uniqueName } from '@shopgraph/kit/testing';
import { expect } from 'vitest';
import { createTestProduct, internalCaller as internalCallerOf, routerSignedCaller as routerSignedCallerOf, type TestStack } from '../../../test/support/stack.ts';
import { schema } from '../src/db/schema.ts';
import { expiryJobId } from '../src/jobs/reservation-expiry.ts';
import type { InventorySubgraph } from '../src/server.ts';

/** Shared by the inventory test files: sign-ins, products, stock reads, internal calls. */

export const LEVEL = 'onHand reserved available';
export const RESERVATION = `orderId status items { productId quantity } expiresAt createdAt updatedAt`;

export const ADJUST = `mutation($productId: ID!, $delta: Int!, $reason: String!) {
  adjustStock(productId: $productId, delta: $delta, reason: $reason) { ${LEVEL} }
}`;
export const MOVEMENTS = `query($productId: ID!, $first: Int, $after: String) {
  stockMovements(productId: $productId, first: $first, after: $after) {
    edges { cursor node { id kind delta reason orderId actor { id } level { ${LEVEL} } at product { id } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
export const PRODUCT_STOCK = `query($id: ID!) { product(id: $id) { id stock { ${LEVEL} } inStock } }`;
export const RESERVE = `mutation($orderId: ID!, $items: [ReservationItemInput!]!, $ttlSeconds: Int!) {
  reserveStock(orderId: $orderId, items: $items, ttlSeconds: $ttlSeconds) {
    status reservation { ${RESERVATION} } unavailable { productId requested available }
  }
}`;
export const COMMIT = `mutation($orderId: ID!) { commitReservation(orderId: $orderId) { ${RESERVATION} } }`;
export const RELEASE = `mutation($orderId: ID!) { releaseReservation(orderId: $orderId) { ${RESERVATION} } }`;
export const RESERVATION_OF = `query($orderId: ID!) { reservation(orderId: $orderId) { ${RESERVATION} } }`;

export interface Level {
  onHand: number;
  reserved: number;
  available: number;
}

export { adminToken, customerToken, eventually } from '../../../test/support/stack.ts';

/** Creates a product through the router (admin) and returns its id. */
export const createProduct = (stack: TestStack, admin: string) => createTestProduct(stack, admin, { weightGrams: 300 });

/** Calls the inventory subgraph directly as the orders service (internal credential). */
export const internalCaller = (stack: TestStack) => internalCallerOf(stack, 'inventory');

/** Calls the inventory subgraph directly with a router-signed identity (as if through the router). */
export const routerSignedCaller = (stack: TestStack, viewer: { userId: string; role: Role } | null) => routerSignedCallerOf(stack, 'inventory', viewer);

/** adjustStock through the router, expecting success. */
export async function adjust(stack: TestStack, admin: string, productId: string, delta: number, reason = 'test delivery'): Promise<Level> {
  const res = await gql(stack.url, ADJUST, { productId, delta, reason }, { token: admin });
  expect(res.errors).toBeUndefined();
  return res.data!.adjustStock;
}

/** A product's stock as the public graph shows it. */
export async function stockOf(stack: TestStack, productId: string): Promise<Level & { inStock: boolean }> {
  const res = await gql(stack.url, PRODUCT_STOCK, { id: productId });
  expect(res.errors).toBeUndefined();
  return { ...res.data!.product.stock, inStock: res.data!.product.inStock };
}

/** How many movements a product has (read through the router as admin). */
export async function movementCount(stack: TestStack, admin: string, productId: string): Promise<number> {
  let count = 0;
  let after: string | null = null;
  for (;;) {
    const res: GraphQLResponse<Record<string, any>> = await gql(stack.url, MOVEMENTS, { productId, first: 100, after }, { token: admin });
    expect(res.errors).toBeUndefined();
    count += res.data!.stockMovements.edges.length;
    if (!res.data!.stockMovements.pageInfo.hasNextPage) return count;
    after = res.data!.stockMovements.pageInfo.endCursor;
  }
}

/** A fresh order id (orders uses UUIDs; any id of letters, digits, - and _ works). */
export const newOrderId = () => uniqueName('order');

/** Whether inventory holds a stock row for the product (0/0/0 and no row look alike in the graph). */
export async function stockRowCount(stack: TestStack, productId: string): Promise<number> {
  const { sql, close } = connectDb(stack.subgraphs.inventory!.databaseUrl, schema, { max: 1 });
  try {
    const rows = await sql`select 1 from stock_levels where product_id = ${productId}`;
    return rows.length;
  } finally {
    await close();
  }
}

/**
 * Makes a reservation overdue now, as if its lifetime had passed, and runs its delayed expiry job at once:
 * tests control the clock instead of waiting out a short lifetime that a busy machine may overrun.
 */
export async function expireNow(stack: TestStack, orderId: string): Promise<void> {
  const { sql, close } = connectDb(stack.subgraphs.inventory!.databaseUrl, schema, { max: 1 });
  try {
    await sql`update reservations set expires_at = now() - interval '1 second' where order_id = ${orderId}`;
  } finally {
    await close();
  }
  const { expiry } = stack.subgraphs.inventory!.built as InventorySubgraph;
  const job = await expiry.queue.getJob(expiryJobId(orderId));
  if (job && (await job.isDelayed())) await job.promote();
}

