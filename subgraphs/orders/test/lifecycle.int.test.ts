import { createInternalTokenIssuer, SHIPMENT_STATUS_INTERESTS, type ShipmentStatus } from '@shopgraph/kit';
import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANCEL,
  captureCount,
  type Customer,
  eventually,
  moveShipment,
  newCustomer,
  newProduct,
  ORDER,
  orderInput,
  type OrdersFixture,
  placeOrder,
  shipmentEvent,
  startOrders,
  stockOf,
  trail,
  waitForStatus,
} from './helpers.ts';
import { routerSignedCaller } from '../../../test/support/stack.ts';

/** After checkout: cancellation, carrier updates, and who sees what. */

let f: OrdersFixture;
let customer: Customer;

beforeAll(async () => {
  f = await startOrders();
  customer = await newCustomer(f);
});
afterAll(() => f?.stop());

const paymentAndShipment = async (orderId: string, token = f.admin) =>
  (await gql(f.stack.url, 'query($id: ID!) { order(id: $id) { payment { status } shipment { id status cancelled } } }', { id: orderId }, { token })).data!.order;

/** A new order of one unit that checkout has taken to FULFILLING. */
async function fulfilling(productId?: string): Promise<{ id: string; productId: string }> {
  const id = productId ?? (await newProduct(f, { stock: 10 }));
  const placed = await placeOrder(f, customer, orderInput([{ productId: id, quantity: 1 }]));
  expect(await waitForStatus(f, placed.id)).toBe('FULFILLING');
  return { id: placed.id, productId: id };
}

describe('cancelOrder', () => {
  it('refunds a paid order: voids the label, refunds the payment, REFUNDED', async () => {
    const order = await fulfilling();
    const res = await gql(f.stack.url, CANCEL, { id: order.id, reason: 'Changed my mind' }, { token: customer.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelOrder).toMatchObject({ status: 'REFUNDED', failureReason: 'Changed my mind' });
    expect(res.data!.cancelOrder.statusHistory.at(-1)).toEqual({ status: 'REFUNDED', previousStatus: 'FULFILLING', reason: 'Changed my mind' });
    expect(await paymentAndShipment(order.id)).toMatchObject({ payment: { status: 'REFUNDED' }, shipment: { cancelled: true, status: 'LABEL_CREATED' } });
    // The committed units left the warehouse with the (voided) shipment; they stay out until counted back in.
    expect(await stockOf(f, order.productId)).toEqual({ onHand: 9, reserved: 0, available: 9 });
    // Cancelling again changes nothing.
    const again = await gql(f.stack.url, CANCEL, { id: order.id }, { token: customer.token });
    expect(again.data!.cancelOrder.status).toBe('REFUNDED');
    expect((await trail(f, order.id)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'REFUNDED']);
  });

  it('refuses to cancel a shipped order, and moves with carrier updates to SHIPPED and DELIVERED', async () => {
    const order = await fulfilling();
    const { shipment } = await paymentAndShipment(order.id);
    const moved = await gql(
      f.stack.url,
      'mutation($id: ID!) { updateShipmentStatus(shipmentId: $id, status: IN_TRANSIT, location: "Leipzig hub") { status } }',
      { id: shipment.id },
      { token: f.admin },
    );
    expect(moved.errors).toBeUndefined();
    expect(await waitForStatus(f, order.id, ['SHIPPED'])).toBe('SHIPPED');

    const cancel = await gql(f.stack.url, CANCEL, { id: order.id }, { token: customer.token });
    expect(errorCode(cancel)).toBe('CONFLICT');
    expect(cancel.errors![0]!.message).toMatch(/already shipped/);
    expect(await paymentAndShipment(order.id)).toMatchObject({ payment: { status: 'CAPTURED' }, shipment: { cancelled: false } });

    for (const status of ['OUT_FOR_DELIVERY', 'DELIVERED']) await moveShipment(f, shipment.id, status);
    expect(await waitForStatus(f, order.id, ['DELIVERED'])).toBe('DELIVERED');
    const { history } = await trail(f, order.id);
    expect(history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED']);
  });

  it('cancels a failed or unknown order only as it should', async () => {
    const a = await newProduct(f, { stock: 0 });
    const placed = await placeOrder(f, customer, orderInput([{ productId: a, quantity: 1 }]));
    expect(await waitForStatus(f, placed.id)).toBe('REJECTED');
    expect(errorCode(await gql(f.stack.url, CANCEL, { id: placed.id }, { token: customer.token }))).toBe('CONFLICT');
    const stranger = await newCustomer(f);
    expect(errorCode(await gql(f.stack.url, CANCEL, { id: placed.id }, { token: stranger.token }))).toBe('NOT_FOUND');
    expect(errorCode(await gql(f.stack.url, CANCEL, { id: 'nope' }, { token: customer.token }))).toBe('NOT_FOUND');
    expect(errorCode(await gql(f.stack.url, CANCEL, { id: placed.id }))).toBe('UNAUTHENTICATED');
  });

  it('ends consistent when cancels race the saga', async () => {
    const productId = await newProduct(f, { stock: 100 });
    const ids = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const placed = await placeOrder(f, customer, orderInput([{ productId, quantity: 1 }]));
        // Some cancel at once, some a little later: they meet the saga at different steps.
        if (i % 3 === 1) await waitForStatus(f, placed.id, ['RESERVED', 'PAID', 'FULFILLING']);
        if (i % 3 === 2) await waitForStatus(f, placed.id, ['PAID', 'FULFILLING']);
        const res = await gql(f.stack.url, CANCEL, { id: placed.id }, { token: customer.token });
        expect(res.errors).toBeUndefined();
        return placed.id as string;
      }),
    );
    for (const id of ids) {
      const status = await waitForStatus(f, id, ['CANCELLED', 'REFUNDED']);
      expect(['CANCELLED', 'REFUNDED']).toContain(status);
      // Nothing stays charged: no payment, or a voided / refunded one.
      const { payment } = await eventually(
        () => paymentAndShipment(id),
        (o) => !o.payment || ['VOIDED', 'REFUNDED', 'DECLINED'].includes(o.payment.status),
      );
      expect(payment === null || ['VOIDED', 'REFUNDED', 'DECLINED'].includes(payment.status)).toBe(true);
      expect(await captureCount(f, id)).toBeLessThanOrEqual(1);
    }
    // No units stay held for the cancelled orders.
    const stock = await eventually(() => stockOf(f, productId), (s) => s.reserved === 0);
    expect(stock.reserved).toBe(0);
  });
});

describe('shipment events', () => {
  it('applies an event once, however often it is delivered', async () => {
    const order = await fulfilling();
    const inTransit = shipmentEvent(order.id, 'IN_TRANSIT', 'LABEL_CREATED');
    await f.queues.shipmentStatus.add('shipment-status', inTransit, { jobId: inTransit.eventId });
    expect(await waitForStatus(f, order.id, ['SHIPPED'])).toBe('SHIPPED');
    expect(await f.orders.shipmentEvents.apply(inTransit)).toBe('duplicate');
    const delivered = shipmentEvent(order.id, 'DELIVERED', 'IN_TRANSIT');
    expect(await f.orders.shipmentEvents.apply(delivered)).toBe('applied');
    expect(await f.orders.shipmentEvents.apply(delivered)).toBe('duplicate');
    expect(await f.orders.shipmentEvents.apply(shipmentEvent(order.id, 'IN_TRANSIT', 'LABEL_CREATED'))).toBe('ignored');
    expect((await trail(f, order.id)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED']);
  });

  it('acts on exactly the statuses shipping publishes for it (SHIPMENT_STATUS_INTERESTS); the others cost no statement', async () => {
    const order = await fulfilling();
    const statuses: ShipmentStatus[] = ['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED'];
    const queries = f.stack.subgraphs.orders!.queries;
    const countBefore = queries.count;
    for (const status of statuses.filter((s) => !SHIPMENT_STATUS_INTERESTS.includes(s))) {
      expect(await f.orders.shipmentEvents.apply(shipmentEvent(order.id, status, 'LABEL_CREATED'))).toBe('ignored');
    }
    // Only the relays' polling may have run meanwhile.
    expect(queries.statements.slice(queries.statements.length - (queries.count - countBefore)).filter((q) => !/\boutbox\b|"outbox"/.test(q))).toEqual([]);
    expect((await trail(f, order.id)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);
    // Each published status moves the order.
    for (const status of SHIPMENT_STATUS_INTERESTS) {
      const moved = await fulfilling();
      expect(await f.orders.shipmentEvents.apply(shipmentEvent(moved.id, status, 'LABEL_CREATED'))).toBe('applied');
    }
  });
});

describe('visibility', () => {
  it('shows customers only their own orders, payments and shipments; admins all', async () => {
    const order = await fulfilling();
    const stranger = await newCustomer(f);
    const FULL = `query($id: ID!) { order(id: $id) { id payment { status } shipment { trackingNumber } } }`;
    expect((await gql(f.stack.url, FULL, { id: order.id }, { token: customer.token })).data!.order).toMatchObject({ id: order.id, payment: { status: 'CAPTURED' } });
    const theirs = await gql(f.stack.url, FULL, { id: order.id }, { token: stranger.token });
    expect(theirs.data!.order).toBeNull();
    expect((await gql(f.stack.url, FULL, { id: order.id }, { token: f.admin })).data!.order.shipment.trackingNumber).toBeTruthy();
    expect(errorCode(await gql(f.stack.url, ORDER, { id: order.id }))).toBe('UNAUTHENTICATED');

    // Lists: admins see every order; customers only their own, through their user.
    expect(errorCode(await gql(f.stack.url, '{ orders { edges { node { id } } } }', {}, { token: customer.token }))).toBe('FORBIDDEN');
    const all = await gql(f.stack.url, '{ orders(first: 100, status: FULFILLING) { edges { node { id status customer { id } } } } }', {}, { token: f.admin });
    expect(all.data!.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(order.id);
    const mine = await gql(f.stack.url, '{ me { orders(first: 100) { edges { node { id } } pageInfo { hasNextPage } } } }', {}, { token: customer.token });
    expect(mine.data!.me.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(order.id);
    const strangers = await gql(f.stack.url, '{ me { orders { edges { node { id } } } } }', {}, { token: stranger.token });
    expect(strangers.data!.me.orders.edges).toEqual([]);
    const othersUser = await gql(f.stack.url, 'query($id: ID!) { user(id: $id) { orders { edges { node { id } } } } }', { id: customer.id }, { token: stranger.token });
    expect(othersUser.data?.user ?? null).toBeNull();
    expect(errorCode(othersUser)).toBe('FORBIDDEN');
    const asAdmin = await gql(f.stack.url, 'query($id: ID!) { user(id: $id) { orders(first: 100) { edges { node { id } } } cart { id } } }', { id: customer.id }, { token: f.admin });
    expect(asAdmin.data!.user.orders.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(order.id);

    // _entities on each subgraph, signed for the stranger: nothing of the order shows.
    const asStranger = (subgraph: 'orders' | 'payments' | 'shipping') => routerSignedCaller(f.stack, subgraph, { userId: stranger.id, role: 'CUSTOMER' });
    const asOwner = routerSignedCaller(f.stack, 'orders', { userId: customer.id, role: 'CUSTOMER' });
    const reps = { representations: [{ __typename: 'Order', id: order.id }] };
    const ordersEntities = 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id number } } }';
    expect((await asStranger('orders')(ordersEntities, reps)).data!._entities).toEqual([null]);
    expect((await asOwner(ordersEntities, reps)).data!._entities[0].id).toBe(order.id);
    const payment = await asStranger('payments')('query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { payment { status } } } }', reps);
    expect(payment.data?._entities?.[0]?.payment ?? null).toBeNull();
    const shipment = await asStranger('shipping')('query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { shipment { trackingNumber } } } }', reps);
    expect(shipment.data?._entities?.[0]?.shipment ?? null).toBeNull();
  });

  it('resolves 100 order representations with one SQL query for orders and one for their items', async () => {
    const order = await fulfilling();
    const internal = { 'x-shopgraph-internal': await createInternalTokenIssuer('payments', f.stack.internalSecret)() };
    const representations = Array.from({ length: 100 }, () => ({ __typename: 'Order', id: order.id }));
    const { queries } = f.stack.subgraphs.orders!;
    const before = queries.statements.length;
    const res = await gql(
      f.stack.subgraphs.orders!.url,
      'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id total { amount } items { quantity unitPrice { amount } } } } }',
      { representations: [...representations, { __typename: 'Order', id: 'not-a-uuid' }] },
      { headers: internal },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toHaveLength(101);
    expect(res.data!._entities[100]).toBeNull();
    // The statements of this batch (orders' background workers may query meanwhile: shipment events, the sweep).
    const batch = queries.statements.slice(before).filter((q) => /from "orders" where "orders"\."id" = any\(|from "order_items" where "order_items"\."order_id" = any\(/.test(q));
    expect(batch).toHaveLength(2);
    expect(batch.some((q) => q.includes('from "order_items"'))).toBe(true);
  });
});
