import { randomUUID } from 'node:crypto';
import {
  type OrderStatusEvent,
  orderStatusQueue,
  PAYMENT_STATUS_QUEUE,
  type PaymentStatusEvent,
  queueConnection,
  type ShipmentStatusEvent,
  SHIPMENT_STATUS_QUEUE,
} from '@shopgraph/kit';
import { gql, testRedisUrl, uniqueName } from '@shopgraph/kit/testing';
import { Queue } from 'bullmq';
import postgres from 'postgres';
import { expect } from 'vitest';
import { adminToken, eventually, newUserInput, REGISTER, startStack, type TestStack } from '../../../test/support/stack.ts';

import { ADDRESS } from '../../../test/support/shop.ts';

export { ADDRESS, moveShipment, newProduct, shipmentOf, stockOf } from '../../../test/support/shop.ts';
import { CHECKOUT_QUEUE } from '../src/jobs/checkout.worker.ts';
import type { OrdersSubgraph } from '../src/server.ts';

/** Shared by the orders test files: a whole stack, shops, customers, orders, and what was written. */

export { eventually };

export interface OrdersFixture {
  stack: TestStack;
  admin: string;
  /** The queue prefix orders, shipping and payments share (shipment and payment events cross to orders). */
  prefix: string;
  orders: OrdersSubgraph;
  /** orders' own database. */
  sql: postgres.Sql;
  /** payments' database, to count captures. */
  paymentsSql: postgres.Sql;
  queues: { checkout: Queue; orderStatus: Queue; orderStatusRecommendations: Queue; shipmentStatus: Queue; paymentStatus: Queue };
  stop(): Promise<void>;
}

/** Every subgraph and the router; orders, shipping and payments share a queue prefix. */
export async function startOrders(env: { orders?: Record<string, string> } = {}): Promise<OrdersFixture> {
  const prefix = uniqueName('q');
  const stack = await startStack({
    env: {
      shipping: { QUEUE_PREFIX: prefix },
      payments: { QUEUE_PREFIX: prefix },
      orders: { QUEUE_PREFIX: prefix, CHECKOUT_BACKOFF_MS: '200', ...env.orders },
    },
  });
  const admin = await adminToken(stack);
  const sql = postgres(stack.subgraphs.orders!.databaseUrl, { max: 2, onnotice: () => {} });
  const paymentsSql = postgres(stack.subgraphs.payments!.databaseUrl, { max: 1, onnotice: () => {} });
  const queue = (name: string) => new Queue(name, { connection: queueConnection(testRedisUrl()), prefix });
  const queues = { checkout: queue(CHECKOUT_QUEUE), orderStatus: queue(orderStatusQueue('notifications')), orderStatusRecommendations: queue(orderStatusQueue('recommendations')), shipmentStatus: queue(SHIPMENT_STATUS_QUEUE), paymentStatus: queue(PAYMENT_STATUS_QUEUE) };
  return {
    stack,
    admin,
    prefix,
    orders: stack.subgraphs.orders!.built as OrdersSubgraph,
    sql,
    paymentsSql,
    queues,
    stop: async () => {
      for (const q of Object.values(queues)) await q.close();
      await sql.end();
      await paymentsSql.end();
      await stack.stop();
    },
  };
}

export interface Customer {
  id: string;
  token: string;
}

export async function newCustomer(f: OrdersFixture): Promise<Customer> {
  const res = await gql(f.stack.url, REGISTER, { input: newUserInput() });
  expect(res.errors).toBeUndefined();
  return { id: res.data!.register.user.id, token: res.data!.register.accessToken };
}

export const ORDER_FIELDS = `id number status failureReason placedAt updatedAt
  subtotal { amount currency formatted } discount { amount } shippingCost { amount currency } total { amount currency formatted }
  items { product { id } productName sku quantity unitPrice { amount currency } lineTotal { amount } }
  shippingAddress { recipientName line1 line2 city region postalCode country }
  statusHistory { status previousStatus reason at }`;

export const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER_FIELDS} } }`;
export const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
export const CANCEL = `mutation($id: ID!, $reason: String) { cancelOrder(id: $id, reason: $reason) { id status failureReason statusHistory { status previousStatus reason } } }`;

export function orderInput(items: Array<{ productId: string; quantity: number }> | null, overrides: Record<string, unknown> = {}) {
  return { ...(items ? { items } : {}), shippingAddress: ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID(), ...overrides };
}

/** Places an order through the router, expecting success. */
export async function placeOrder(f: OrdersFixture, customer: Customer, input: Record<string, unknown>) {
  const res = await gql(f.stack.url, PLACE_ORDER, { input }, { token: customer.token });
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder;
}

export const FINAL = ['FULFILLING', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REJECTED', 'PAYMENT_FAILED', 'REFUNDED'];

/** Polls the order's status (in orders' database) until it is one of `statuses`. */
export async function waitForStatus(f: OrdersFixture, orderId: string, statuses: string[] = FINAL, timeoutMs = 60_000): Promise<string> {
  return eventually(
    async () => ((await f.sql`select status from orders where id = ${orderId}`)[0]?.status as string) ?? 'missing',
    (status) => statuses.includes(status),
    timeoutMs,
  );
}

/** Waits until no order is still in checkout (PENDING, RESERVED, PAID). */
export async function settled(f: OrdersFixture): Promise<void> {
  const busy = await eventually(
    async () => (await f.sql`select count(*)::int as n from orders where status in ('PENDING', 'RESERVED', 'PAID')`)[0]!.n as number,
    (n) => n === 0,
    30_000,
  );
  expect(busy).toBe(0);
}

/** Rows in each orders table, and jobs in the checkout queue: "nothing written" means these stay the same. */
export async function footprint(f: OrdersFixture) {
  const [row] = await f.sql`select
    (select count(*)::int from orders) as orders, (select count(*)::int from order_items) as items,
    (select count(*)::int from order_status_history) as history, (select count(*)::int from outbox) as outbox`;
  // The periodic sweep is a job too: only checkout jobs, by id (a finished job is removed, so ids, not a count).
  const jobs = await f.queues.checkout.getJobs(['wait', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
  return { rows: { ...row }, jobIds: jobs.filter((j) => j?.name === 'checkout').map((j) => j!.id!) };
}

/**
 * Nothing written or enqueued since `before` (a {@link footprint}): the same row counts, and no checkout job
 * that was not there before (one of an earlier test may have finished meanwhile and be gone).
 */
export async function expectUnchanged(f: OrdersFixture, before: Awaited<ReturnType<typeof footprint>>): Promise<void> {
  const now = await footprint(f);
  expect(now.rows).toEqual(before.rows);
  expect(now.jobIds.filter((id) => !before.jobIds.includes(id))).toEqual([]);
}

/** Captures recorded by payments for an order. */
export async function captureCount(f: OrdersFixture, orderId: string): Promise<number> {
  const rows = await f.paymentsSql`select count(*)::int as n from payment_events e join payments p on p.id = e.payment_id where p.order_id = ${orderId} and e.kind = 'CAPTURE'`;
  return rows[0]!.n as number;
}

/** The order's status history and outbox events (orders' database). */
export async function trail(f: OrdersFixture, orderId: string) {
  const history = await f.sql`select sequence, status::text, previous_status::text as previous from order_status_history where order_id = ${orderId} order by sequence`;
  const events = await f.sql`select payload from outbox where payload->>'orderId' = ${orderId} order by seq`;
  return { history: history.map((h) => h.status as string), events: events.map((e) => e.payload as OrderStatusEvent) };
}

/** A shipment status event as shipping publishes it. */
export function shipmentEvent(orderId: string, status: ShipmentStatusEvent['status'], previousStatus: ShipmentStatusEvent['previousStatus']): ShipmentStatusEvent {
  return { eventId: randomUUID(), orderId, shipmentId: randomUUID(), status, previousStatus, trackingNumber: 'TRACK123', carrier: 'DHL', at: new Date().toISOString(), location: 'Leipzig hub' };
}

/** A payment status event as payments publishes it. */
export function paymentEvent(orderId: string, status: PaymentStatusEvent['status'], previousStatus: PaymentStatusEvent['previousStatus'], reason: string | null = null): PaymentStatusEvent {
  return { eventId: randomUUID(), orderId, paymentId: randomUUID(), status, previousStatus, amount: 1_000, refundedAmount: 1_000, currency: 'EUR', reason, at: new Date().toISOString() };
}
