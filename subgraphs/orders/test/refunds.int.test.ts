import { PAYMENT_STATUS_INTERESTS, type PaymentStatus, type PaymentStatusEvent } from '@shopgraph/kit';
import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANCEL,
  type Customer,
  eventually,
  newCustomer,
  newProduct,
  ORDER,
  orderInput,
  type OrdersFixture,
  paymentEvent,
  placeOrder,
  shipmentEvent,
  startOrders,
  trail,
  waitForStatus,
} from './helpers.ts';

/**
 * An admin's refundPayment (payments) reaches orders as payment status events (PAYMENT_STATUS_QUEUE): a full
 * refund moves the order to REFUNDED. Payments publishes no other status (PAYMENT_STATUS_INTERESTS); orders ignores
 * any other that reaches it, and the refund its own cancelOrder causes changes nothing either.
 */

let f: OrdersFixture;
let customer: Customer;

beforeAll(async () => {
  f = await startOrders();
  customer = await newCustomer(f);
});
afterAll(() => f?.stop());

const REFUND = `mutation($orderId: ID!, $amount: Int, $reason: String!) {
  refundPayment(orderId: $orderId, amount: $amount, reason: $reason) { status capturedAmount { amount } refundedAmount { amount } } }`;

async function refund(orderId: string, reason: string, amount?: number) {
  const res = await gql(f.stack.url, REFUND, { orderId, reason, ...(amount !== undefined ? { amount } : {}) }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.refundPayment as { status: string; capturedAmount: { amount: number }; refundedAmount: { amount: number } };
}

/** A new order of one unit that checkout has taken to FULFILLING. */
async function fulfilling(): Promise<string> {
  const productId = await newProduct(f, { stock: 10 });
  const placed = await placeOrder(f, customer, orderInput([{ productId, quantity: 1 }]));
  expect(await waitForStatus(f, placed.id)).toBe('FULFILLING');
  return placed.id;
}

/** The payment events payments has written for an order, oldest first (its outbox). */
async function paymentEventsOf(orderId: string): Promise<PaymentStatusEvent[]> {
  const rows = await f.paymentsSql`select payload from outbox where payload->>'orderId' = ${orderId} order by seq`;
  return rows.map((row) => row.payload as PaymentStatusEvent);
}

/**
 * Waits until orders has consumed every payment event payments has written for the order so far (its relay
 * publishes each right after the commit; job id = event id) and returns them with each job's outcome.
 */
async function consumed(orderId: string): Promise<Array<PaymentStatusEvent & { outcome: string }>> {
  const events = await paymentEventsOf(orderId);
  return Promise.all(
    events.map(async (event) => {
      const job = await eventually(
        () => f.queues.paymentStatus.getJob(event.eventId),
        (job) => job?.returnvalue != null,
      );
      return { ...event, outcome: (job!.returnvalue as { outcome: string }).outcome };
    }),
  );
}

const order = async (id: string) => (await gql(f.stack.url, ORDER, { id }, { token: f.admin })).data!.order;

describe('refundPayment → order REFUNDED', () => {
  it('moves a FULFILLING order refunded in full to REFUNDED, with history and an order event', async () => {
    const orderId = await fulfilling();
    expect(await refund(orderId, 'Damaged in transit')).toMatchObject({ status: 'REFUNDED' });
    expect(await waitForStatus(f, orderId, ['REFUNDED'])).toBe('REFUNDED');

    const events = await consumed(orderId);
    // The refund is the only event payments published for the order (PAYMENT_STATUS_INTERESTS): its
    // authorisation and capture, the saga's own doing, were not.
    expect(events.map((e) => [e.status, e.outcome])).toEqual([['REFUNDED', 'applied']]);
    const reason = 'Refunded by admin: Damaged in transit';
    const view = await order(orderId);
    expect(view).toMatchObject({ status: 'REFUNDED', failureReason: reason });
    expect(view.statusHistory.at(-1)).toMatchObject({ status: 'REFUNDED', previousStatus: 'FULFILLING', reason });
    const { history, events: orderEvents } = await trail(f, orderId);
    expect(history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'REFUNDED']);
    expect(orderEvents.at(-1)).toMatchObject({ status: 'REFUNDED', previousStatus: 'FULFILLING', sequence: 5, reason });
  });

  it('leaves the status alone on a partial refund, and moves to REFUNDED once the rest is refunded', async () => {
    const orderId = await fulfilling();
    const partial = await refund(orderId, 'Scratched lid', 300);
    expect(partial).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 300 } });
    // A partial refund changes no order, and is not published.
    expect(await consumed(orderId)).toEqual([]);
    expect((await order(orderId)).status).toBe('FULFILLING');
    expect((await trail(f, orderId)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING']);

    const rest = await refund(orderId, 'Customer returned it');
    expect(rest).toMatchObject({ status: 'REFUNDED' });
    expect(rest.refundedAmount.amount).toBe(rest.capturedAmount.amount);
    expect(await waitForStatus(f, orderId, ['REFUNDED'])).toBe('REFUNDED');
    await consumed(orderId);
    const view = await order(orderId);
    expect(view.statusHistory.at(-1)).toMatchObject({ status: 'REFUNDED', previousStatus: 'FULFILLING', reason: 'Refunded by admin: Customer returned it' });
    expect((await trail(f, orderId)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'REFUNDED']);
  });

  it('refunds SHIPPED and DELIVERED orders too', async () => {
    const shipped = await fulfilling();
    expect(await f.orders.shipmentEvents.apply(shipmentEvent(shipped, 'IN_TRANSIT', 'LABEL_CREATED'))).toBe('applied');
    const delivered = await fulfilling();
    expect(await f.orders.shipmentEvents.apply(shipmentEvent(delivered, 'DELIVERED', 'OUT_FOR_DELIVERY'))).toBe('applied');

    await refund(shipped, 'Lost in the post');
    await refund(delivered, 'Arrived broken');
    expect(await waitForStatus(f, shipped, ['REFUNDED'])).toBe('REFUNDED');
    expect(await waitForStatus(f, delivered, ['REFUNDED'])).toBe('REFUNDED');
    expect((await trail(f, shipped)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'SHIPPED', 'REFUNDED']);
    expect((await trail(f, delivered)).history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED', 'REFUNDED']);
    expect((await order(delivered)).statusHistory.at(-1)).toMatchObject({ previousStatus: 'DELIVERED', reason: 'Refunded by admin: Arrived broken' });
    // Later carrier updates no longer move a refunded order.
    expect(await f.orders.shipmentEvents.apply(shipmentEvent(shipped, 'DELIVERED', 'IN_TRANSIT'))).toBe('ignored');
    expect((await order(shipped)).status).toBe('REFUNDED');
  });

  it('applies an event once, however often it is delivered', async () => {
    const orderId = await fulfilling();
    await refund(orderId, 'Wrong colour');
    expect(await waitForStatus(f, orderId, ['REFUNDED'])).toBe('REFUNDED');
    const events = await consumed(orderId);
    const before = await trail(f, orderId);

    const { outcome: first, ...refunded } = events.find((e) => e.status === 'REFUNDED')!;
    expect(first).toBe('applied');
    expect(await f.orders.paymentEvents.apply(refunded)).toBe('duplicate');
    // Delivered again through the queue (as a republished outbox row whose first job is gone would be).
    const job = await f.queues.paymentStatus.add('payment.status-changed', refunded, { jobId: `again-${refunded.eventId}` });
    const outcome = await eventually(
      async () => (await f.queues.paymentStatus.getJob(job.id!))?.returnvalue as { outcome: string } | undefined,
      (value) => value !== undefined && value !== null,
    );
    expect(outcome).toEqual({ outcome: 'duplicate' });
    expect(await trail(f, orderId)).toEqual(before);
  });

  it('ends REFUNDED exactly once when orders itself cancels a paid order (its refund event changes nothing)', async () => {
    const orderId = await fulfilling();
    const res = await gql(f.stack.url, CANCEL, { id: orderId, reason: 'Changed my mind' }, { token: customer.token });
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelOrder.status).toBe('REFUNDED');
    const events = await consumed(orderId);
    // The refund is cancelOrder's own (cancelPayment): the order was REFUNDED already.
    expect(events.map((e) => [e.status, e.outcome])).toEqual([['REFUNDED', 'ignored']]);
    const { history, events: orderEvents } = await trail(f, orderId);
    expect(history).toEqual(['PENDING', 'RESERVED', 'PAID', 'FULFILLING', 'REFUNDED']);
    expect(orderEvents.filter((e) => e.status === 'REFUNDED')).toHaveLength(1);
    expect((await order(orderId)).statusHistory.at(-1)).toMatchObject({ status: 'REFUNDED', reason: 'Changed my mind' });
  });

  it('ignores what is not a full refund of a paid order', async () => {
    const orderId = await fulfilling();
    const before = await trail(f, orderId);
    // Every status but those payments publishes for orders (PAYMENT_STATUS_INTERESTS) is ignored, without a statement.
    const statuses: PaymentStatus[] = ['PENDING', 'AUTHORIZED', 'CAPTURED', 'DECLINED', 'VOIDED', 'REFUNDED', 'PARTIALLY_REFUNDED'];
    const uninteresting = statuses.filter((status) => !PAYMENT_STATUS_INTERESTS.includes(status));
    expect(uninteresting).toHaveLength(statuses.length - 1);
    const queries = f.stack.subgraphs.orders!.queries;
    const countBefore = queries.count;
    for (const status of uninteresting) expect(await f.orders.paymentEvents.apply(paymentEvent(orderId, status, 'PENDING'))).toBe('ignored');
    // Only the relays' polling may have run meanwhile.
    expect(queries.statements.slice(queries.statements.length - (queries.count - countBefore)).filter((q) => !/"outbox"|\boutbox\b/.test(q))).toEqual([]);
    expect(await trail(f, orderId)).toEqual(before);

    // A declined order never becomes REFUNDED; an unknown order is ignored.
    const productId = await newProduct(f, { stock: 10 });
    const declined = await placeOrder(f, customer, orderInput([{ productId, quantity: 1 }], { paymentToken: 'tok_chargeDeclined' }));
    expect(await waitForStatus(f, declined.id)).toBe('PAYMENT_FAILED');
    expect(await f.orders.paymentEvents.apply(paymentEvent(declined.id, 'REFUNDED', 'CAPTURED', 'odd'))).toBe('ignored');
    expect((await order(declined.id)).status).toBe('PAYMENT_FAILED');
    expect(await f.orders.paymentEvents.apply(paymentEvent('00000000-0000-4000-8000-000000000000', 'REFUNDED', 'CAPTURED'))).toBe('ignored');
  });
});
