import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import {
  adminToken,
  CANCEL,
  CREATE,
  createShipment,
  customerToken,
  internalCaller,
  newOrderId,
  QUOTE,
  routerSignedCaller,
  shipmentInput,
  UPDATE_STATUS,
} from './helpers.ts';
import { ALLOWED } from './documented-moves.ts';

/** Internal operations for checkout (quote, label, void) and the admin status mutation through the router. */

let stack: TestStack;
let internal: ReturnType<typeof internalCaller>;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'shipping'] });
  internal = internalCaller(stack);
  admin = await adminToken(stack);
});
afterAll(() => stack?.stop());

const updateStatus = (shipmentId: string, status: string, extra: Record<string, unknown> = {}) => gql(stack.url, UPDATE_STATUS, { shipmentId, status, ...extra }, { token: admin });

/** Admin moves along a legal path, expecting each to succeed. */
async function moveAlong(shipmentId: string, path: string[]) {
  for (const status of path) {
    const res = await updateStatus(shipmentId, status);
    expect(res.errors, `${status}`).toBeUndefined();
  }
}

describe('shippingQuote', () => {
  const items = [
    { productId: 'a', quantity: 2, weightGrams: 400 },
    { productId: 'b', quantity: 1, weightGrams: 1200 },
  ];

  it('prices the whole parcel (sum of weights) with the cheapest service', async () => {
    const res = await internal(QUOTE, { items, country: 'DE', postalCode: '10117' });
    expect(res.errors).toBeUndefined();
    // 2 × 400 g + 1200 g = 2 kg: DHL Standard domestic 4.90 + 2 × 0.50.
    expect(res.data!.shippingQuote).toEqual({ amount: { amount: 590, currency: 'EUR', formatted: '€5.90' }, carrier: 'DHL', service: 'Standard', minDays: 1, maxDays: 3 });
    expect((await internal(QUOTE, { items, country: 'fr' })).data!.shippingQuote).toMatchObject({ amount: { amount: 990 + 150 * 2 }, minDays: 3, maxDays: 6 });
    expect((await internal(QUOTE, { items, country: 'US' })).data!.shippingQuote).toMatchObject({ amount: { amount: 1990 + 450 * 2 }, maxDays: 14 });
    // Exactly the heaviest parcel a service takes (31.5 kg, 32 started kilograms).
    const heaviest = await internal(QUOTE, { items: [{ productId: 'a', quantity: 3, weightGrams: 10_500 }], country: 'DE' });
    expect(heaviest.data!.shippingQuote.amount.amount).toBe(490 + 50 * 32);
  });

  it('refuses a parcel no service takes, and bad input, with BAD_USER_INPUT', async () => {
    const tooHeavy = await internal(QUOTE, { items: [{ productId: 'a', quantity: 4, weightGrams: 10_000 }], country: 'AT' });
    expect(errorCode(tooHeavy)).toBe('BAD_USER_INPUT');
    expect(tooHeavy.errors![0]!.message).toBe('cannot ship this order to AT');
    expect(errorCode(await internal(QUOTE, { items, country: 'XX' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await internal(QUOTE, { items, country: 'DE', postalCode: '<b>' }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await internal(QUOTE, { items: [], country: 'DE' }))).toBe('BAD_USER_INPUT');
    const bad = await internal(QUOTE, { items: [{ productId: '', quantity: 0, weightGrams: -1 }], country: 'DE' });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    expect((bad.errors![0]!.extensions!.fields as Array<{ field: string }>).map((f) => f.field)).toEqual(['items.0.productId', 'items.0.quantity', 'items.0.weightGrams']);
  });
});

describe('createShipment', () => {
  it('creates a DHL label with a tracking number, LABEL_CREATED, and the delivery estimate', async () => {
    const input = shipmentInput();
    const shipment = await createShipment(stack, input);
    expect(shipment).toMatchObject({ orderId: input.orderId, carrier: 'DHL', service: 'Standard', status: 'LABEL_CREATED', cancelled: false, cancelledAt: null });
    expect(shipment.trackingNumber).toMatch(/^SG\d{10}$/);
    expect(shipment.events).toEqual([{ status: 'LABEL_CREATED', location: null, note: 'DHL Standard label created', at: shipment.createdAt }]);
    // Three business days (the service's maxDays) after creation, weekends skipped.
    const created = new Date(shipment.createdAt);
    const expected = new Date(created);
    for (let days = 3; days > 0; ) {
      expected.setUTCDate(expected.getUTCDate() + 1);
      if (![0, 6].includes(expected.getUTCDay())) days -= 1;
    }
    expect(Math.abs(new Date(shipment.estimatedDelivery).getTime() - expected.getTime())).toBeLessThan(60_000);
  });

  it('is idempotent per order: a repeat (lines in any order) returns the same shipment', async () => {
    const input = shipmentInput();
    const first = await createShipment(stack, input);
    const again = await createShipment(stack, { ...input, items: [...input.items].reverse() });
    expect(again).toEqual(first);
  });

  it('creates one shipment when ten calls for the same order race', async () => {
    const input = shipmentInput();
    const results = await Promise.all(Array.from({ length: 10 }, () => internal(CREATE, { input })));
    for (const res of results) expect(res.errors).toBeUndefined();
    const shipments = results.map((res) => res.data!.createShipment);
    for (const shipment of shipments) expect(shipment).toEqual(shipments[0]);
    expect(shipments[0].events).toHaveLength(1);
  });

  it('answers CONFLICT when the same order asks for another parcel, customer or address', async () => {
    const input = shipmentInput();
    const first = await createShipment(stack, input);
    for (const other of [
      { ...input, items: [{ productId: 'p-scarf', quantity: 3, weightGrams: 400 }] },
      { ...input, customerId: 'someone-else' },
      { ...input, address: { ...input.address, line1: 'Somewhere else 2' } },
    ]) {
      expect(errorCode(await internal(CREATE, { input: other }))).toBe('CONFLICT');
    }
    expect((await createShipment(stack, input)).id).toBe(first.id);
  });

  it('refuses bad input and unshippable parcels, writing nothing', async () => {
    const bad = shipmentInput({
      address: { line1: ' ', city: 'Berlin', postalCode: '10117', country: 'ZZ' },
      items: [{ productId: 'p', quantity: 1001, weightGrams: 1 }],
    });
    const res = await internal(CREATE, { input: bad });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect((res.errors![0]!.extensions!.fields as Array<{ field: string }>).map((f) => f.field).sort()).toEqual(['address.country', 'address.line1', 'items.0.quantity']);
    const heavy = shipmentInput({ items: [{ productId: 'p', quantity: 1, weightGrams: 40_000 }] });
    const refused = await internal(CREATE, { input: heavy });
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    expect(refused.errors![0]!.message).toBe('cannot ship this order to DE');
    for (const input of [bad, heavy]) expect((await internal(CANCEL, { orderId: input.orderId })).data!.cancelShipment).toBeNull();
  });
});

describe('cancelShipment', () => {
  it('voids a LABEL_CREATED label, idempotently; the shipment then never moves', async () => {
    const input = shipmentInput();
    const shipment = await createShipment(stack, input);
    const cancelled = (await internal(CANCEL, { orderId: input.orderId })).data!.cancelShipment;
    expect(cancelled).toMatchObject({ id: shipment.id, status: 'LABEL_CREATED', cancelled: true });
    expect(cancelled.cancelledAt).toEqual(expect.any(String));
    expect((await internal(CANCEL, { orderId: input.orderId })).data!.cancelShipment).toEqual(cancelled);

    const moved = await updateStatus(shipment.id, 'IN_TRANSIT');
    expect(errorCode(moved)).toBe('CONFLICT');
    // Asking for the status it has is still a no-op, and createShipment returns it as it is.
    expect((await updateStatus(shipment.id, 'LABEL_CREATED')).data!.updateShipmentStatus).toEqual(cancelled);
    expect(await createShipment(stack, input)).toEqual(cancelled);
  });

  it('answers CONFLICT once the carrier has the parcel, and null for an order without a shipment', async () => {
    for (const path of [['IN_TRANSIT'], ['EXCEPTION'], ['IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']]) {
      const input = shipmentInput();
      const shipment = await createShipment(stack, input);
      await moveAlong(shipment.id, path);
      expect(errorCode(await internal(CANCEL, { orderId: input.orderId })), path.join('>')).toBe('CONFLICT');
    }
    expect((await internal(CANCEL, { orderId: newOrderId() })).data!.cancelShipment).toBeNull();
  });
});

describe('updateShipmentStatus (admin, through the router)', () => {
  it('moves the shipment and records where and why', async () => {
    const shipment = await createShipment(stack);
    const res = await updateStatus(shipment.id, 'IN_TRANSIT', { location: '  Leipzig hub ', note: 'Picked up' });
    expect(res.errors).toBeUndefined();
    const moved = res.data!.updateShipmentStatus;
    expect(moved.status).toBe('IN_TRANSIT');
    expect(new Date(moved.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(shipment.updatedAt).getTime());
    expect(moved.events.map((e: { status: string }) => e.status)).toEqual(['LABEL_CREATED', 'IN_TRANSIT']);
    expect(moved.events[1]).toMatchObject({ location: 'Leipzig hub', note: 'Picked up' });

    // The same status again changes nothing.
    const again = await updateStatus(shipment.id, 'IN_TRANSIT', { location: 'Elsewhere' });
    expect(again.data!.updateShipmentStatus).toEqual(moved);
  });

  it('allows exactly the documented moves; anything else is a CONFLICT that changes nothing', async () => {
    const pathTo: Record<string, string[]> = {
      LABEL_CREATED: [],
      IN_TRANSIT: ['IN_TRANSIT'],
      OUT_FOR_DELIVERY: ['IN_TRANSIT', 'OUT_FOR_DELIVERY'],
      DELIVERED: ['IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED'],
      EXCEPTION: ['EXCEPTION'],
      RETURNED: ['IN_TRANSIT', 'RETURNED'],
    };
    const statuses = Object.keys(pathTo);
    const cases = statuses.flatMap((from) => statuses.filter((to) => to !== from).map((to) => ({ from, to })));
    await Promise.all(
      cases.map(async ({ from, to }) => {
        const shipment = await createShipment(stack);
        await moveAlong(shipment.id, pathTo[from]!);
        const res = await updateStatus(shipment.id, to);
        if (ALLOWED.has(`${from}>${to}`)) {
          expect(res.errors, `${from} → ${to}`).toBeUndefined();
          expect(res.data!.updateShipmentStatus.status).toBe(to);
        } else {
          expect(errorCode(res), `${from} → ${to}`).toBe('CONFLICT');
          const unchanged = (await updateStatus(shipment.id, from)).data!.updateShipmentStatus;
          expect(unchanged.status).toBe(from);
          expect(unchanged.events).toHaveLength(pathTo[from]!.length + 1);
        }
      }),
    );
  });

  it('is for admins only, and answers NOT_FOUND for unknown ids and BAD_USER_INPUT for overlong text', async () => {
    const shipment = await createShipment(stack);
    const customer = await customerToken(stack);
    expect(errorCode(await gql(stack.url, UPDATE_STATUS, { shipmentId: shipment.id, status: 'IN_TRANSIT' }, { token: customer }))).toBe('FORBIDDEN');
    expect(errorCode(await gql(stack.url, UPDATE_STATUS, { shipmentId: shipment.id, status: 'IN_TRANSIT' }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await updateStatus('00000000-0000-4000-8000-000000000000', 'IN_TRANSIT'))).toBe('NOT_FOUND');
    expect(errorCode(await updateStatus('not-an-id', 'IN_TRANSIT'))).toBe('NOT_FOUND');
    expect(errorCode(await updateStatus(shipment.id, 'IN_TRANSIT', { note: 'x'.repeat(501) }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await updateStatus(shipment.id, 'LOST'))).toBe('BAD_USER_INPUT');
    // Nothing of that moved it.
    expect((await updateStatus(shipment.id, 'LABEL_CREATED')).data!.updateShipmentStatus.events).toHaveLength(1);
  });
});

describe('internal operations', () => {
  const operations = [
    [QUOTE, { items: [{ productId: 'a', quantity: 1, weightGrams: 100 }], country: 'DE' }],
    [CREATE, { input: shipmentInput() }],
    [CANCEL, { orderId: newOrderId() }],
  ] as const;

  it('refuse router-signed callers (customers, admins, anonymous) with FORBIDDEN', async () => {
    for (const viewer of [{ userId: 'u1', role: 'CUSTOMER' as const }, { userId: 'u2', role: 'ADMIN' as const }, null]) {
      const call = routerSignedCaller(stack, viewer);
      for (const [query, variables] of operations) expect(errorCode(await call(query, variables)), query).toBe('FORBIDDEN');
    }
    expect((await internal(CANCEL, { orderId: operations[1][1].input.orderId })).data!.cancelShipment).toBeNull();
  });

  it('are absent from the public supergraph', async () => {
    for (const [query, variables] of operations) {
      expect(errorCode(await gql(stack.url, query, variables, { token: admin })), query).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    const types = await gql(stack.url, '{ __schema { types { name } } }');
    const names = types.data!.__schema.types.map((t: { name: string }) => t.name);
    for (const hidden of ['ShippingQuote', 'ShippingItemInput', 'CreateShipmentInput', 'ShipmentAddressInput']) expect(names).not.toContain(hidden);
    for (const visible of ['Shipment', 'ShipmentEvent', 'ShipmentStatus']) expect(names).toContain(visible);
  });
});
