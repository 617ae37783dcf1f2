import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { createShipment, internalCaller, newOrderId, ORDER_ENTITIES, routerSignedCaller, shipmentInput } from './helpers.ts';

/**
 * Order.shipment as the router (on behalf of a viewer) and internal services see it through `_entities`:
 * customers see their own orders' shipments only, admins and internal services every one; batched.
 */

let stack: TestStack;
const alice = 'customer-alice';
const bob = 'customer-bob';
const shipments: Array<{ id: string; orderId: string; customerId: string; trackingNumber: string; status: string }> = [];

const orderRef = (id: string) => ({ __typename: 'Order', id });

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'shipping'] });
  for (let i = 0; i < 6; i++) {
    const input = shipmentInput({ customerId: i % 2 === 0 ? alice : bob });
    const shipment = await createShipment(stack, input);
    shipments.push({ id: shipment.id, orderId: input.orderId, customerId: input.customerId as string, trackingNumber: shipment.trackingNumber, status: shipment.status });
  }
});
afterAll(() => stack?.stop());

const expected = (s: (typeof shipments)[number]) => ({ id: s.id, orderId: s.orderId, trackingNumber: s.trackingNumber, status: s.status });

describe('Order.shipment visibility', () => {
  it('shows customers the shipments of their own orders only; someone else’s resolves to null', async () => {
    const representations = shipments.map((s) => orderRef(s.orderId));
    const res = await routerSignedCaller(stack, { userId: alice, role: 'CUSTOMER' })(ORDER_ENTITIES, { representations });
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual(shipments.map((s) => ({ id: s.orderId, shipment: s.customerId === alice ? expected(s) : null })));
  });

  it('shows admins and internal services every shipment', async () => {
    const representations = shipments.map((s) => orderRef(s.orderId));
    for (const call of [routerSignedCaller(stack, { userId: 'some-admin', role: 'ADMIN' }), internalCaller(stack)]) {
      const res = await call(ORDER_ENTITIES, { representations });
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities).toEqual(shipments.map((s) => ({ id: s.orderId, shipment: expected(s) })));
    }
  });

  it('shows anonymous callers nothing, and resolves orders without a shipment to shipment: null', async () => {
    const anonymous = await routerSignedCaller(stack, null)(ORDER_ENTITIES, { representations: [orderRef(shipments[0]!.orderId)] });
    expect(anonymous.data!._entities).toEqual([{ id: shipments[0]!.orderId, shipment: null }]);
    const unknown = newOrderId();
    const none = await internalCaller(stack)(ORDER_ENTITIES, { representations: [orderRef(unknown), orderRef('not-a-uuid')] });
    expect(none.data!._entities).toEqual([
      { id: unknown, shipment: null },
      { id: 'not-a-uuid', shipment: null },
    ]);
  });

  it('refuses callers without router or internal credentials', async () => {
    const res = await gql(stack.subgraphs.shipping!.url, ORDER_ENTITIES, { representations: [orderRef(shipments[0]!.orderId)] });
    expect(res.status).toBe(401);
    expect(res.data).toBeUndefined();
  });
});

describe('Order entity resolution', () => {
  it('resolves 100 representations with one SQL query, and their events with one more', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => orderRef(shipments[i % shipments.length]!.orderId));
    const queries = stack.subgraphs.shipping!.queries;
    const call = routerSignedCaller(stack, { userId: alice, role: 'CUSTOMER' });

    let before = queries.count;
    const res = await call(ORDER_ENTITIES, { representations });
    expect(res.errors).toBeUndefined();
    expect(queries.count - before).toBe(1);
    expect(res.data!._entities).toHaveLength(100);
    expect(res.data!._entities.filter((e: { shipment: unknown }) => e.shipment !== null)).toHaveLength(50);

    before = queries.count;
    const withEvents = await call('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { shipment { status events { status at } } } } }', { r: representations });
    expect(withEvents.errors).toBeUndefined();
    expect(queries.count - before).toBe(2);
    expect(withEvents.data!._entities[0].shipment.events).toEqual([{ status: 'LABEL_CREATED', at: expect.any(String) }]);
  });
});
