import { createHmac, randomUUID } from 'node:crypto';
import type { Role } from '@shopgraph/kit';
import { expect } from 'vitest';
import { internalCaller as internalCallerOf, routerSignedCaller as routerSignedCallerOf, type TestStack } from '../../../test/support/stack.ts';

/** Shared by the shipping test files: operations, inputs, internal calls and signed webhook requests. */

export { adminToken, customerToken, eventually } from '../../../test/support/stack.ts';

export const SHIPMENT = `id orderId carrier service trackingNumber status cancelled cancelledAt estimatedDelivery createdAt updatedAt
  events { status location note at }`;

export const CREATE = `mutation($input: CreateShipmentInput!) { createShipment(input: $input) { ${SHIPMENT} } }`;
export const CANCEL = `mutation($orderId: ID!) { cancelShipment(orderId: $orderId) { ${SHIPMENT} } }`;
export const QUOTE = `query($items: [ShippingItemInput!]!, $country: String!, $postalCode: String) {
  shippingQuote(items: $items, country: $country, postalCode: $postalCode) { amount { amount currency formatted } carrier service minDays maxDays }
}`;
export const UPDATE_STATUS = `mutation($shipmentId: ID!, $status: ShipmentStatus!, $location: String, $note: String) {
  updateShipmentStatus(shipmentId: $shipmentId, status: $status, location: $location, note: $note) { ${SHIPMENT} }
}`;
export const ORDER_ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Order { id shipment { id orderId trackingNumber status } } }
}`;

/** The webhook secret the test stacks run with. */
export const WEBHOOK_SECRET = 'test-carrier-webhook-secret-0123456789abcdef';

/** A fresh order id (orders uses UUIDs). */
export const newOrderId = () => randomUUID();

/** A valid createShipment input for a fresh order (2 × 400 g + 1 × 1200 g = 2 kg to Berlin). */
export function shipmentInput(overrides: Record<string, unknown> = {}) {
  return {
    orderId: newOrderId(),
    customerId: randomUUID(),
    address: { recipientName: 'Erika Mustermann', line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'DE' },
    items: [
      { productId: 'p-scarf', quantity: 2, weightGrams: 400 },
      { productId: 'p-boots', quantity: 1, weightGrams: 1200 },
    ],
    ...overrides,
  };
}

/** Calls the shipping subgraph directly as the orders service (internal credential). */
export const internalCaller = (stack: TestStack) => internalCallerOf(stack, 'shipping');

/** Calls the shipping subgraph directly with a router-signed identity. */
export const routerSignedCaller = (stack: TestStack, viewer: { userId: string; role: Role } | null) => routerSignedCallerOf(stack, 'shipping', viewer);

/** createShipment as orders would call it, expecting success. */
export async function createShipment(stack: TestStack, input: Record<string, unknown> = shipmentInput()) {
  const res = await internalCaller(stack)(CREATE, { input });
  expect(res.errors).toBeUndefined();
  return res.data!.createShipment;
}

/**
 * POSTs a carrier update to the shipping service's webhook, signed the way the protocol says (computed here
 * independently of the service's own code): `sha256=` HMAC-SHA256 of `<timestamp>.<raw body>`.
 */
export async function postCarrierUpdate(
  stack: TestStack,
  payload: unknown,
  options: { secret?: string; timestamp?: number; signature?: string | null; rawBody?: string } = {},
): Promise<{ status: number; body: any }> {
  const body = options.rawBody ?? JSON.stringify(payload);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature =
    options.signature === undefined ? `sha256=${createHmac('sha256', options.secret ?? WEBHOOK_SECRET).update(`${timestamp}.${body}`).digest('hex')}` : options.signature;
  const response = await fetch(`${stack.subgraphs.shipping!.origin}/webhooks/carrier`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopgraph-timestamp': timestamp, ...(signature === null ? {} : { 'x-shopgraph-signature': signature }) },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A carrier update for `trackingNumber`, happening now unless told otherwise. */
export const carrierUpdate = (trackingNumber: string, status: string, extra: Record<string, unknown> = {}) => ({
  trackingNumber,
  status,
  location: 'Leipzig hub',
  occurredAt: new Date().toISOString(),
  ...extra,
});
