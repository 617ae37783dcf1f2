import { createHmac } from 'node:crypto';
import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { adminToken, CANCEL, carrierUpdate, createShipment, internalCaller, postCarrierUpdate, UPDATE_STATUS, WEBHOOK_SECRET } from './helpers.ts';

/** POST /webhooks/carrier with real HTTP requests, signed (or not) the way a carrier signs them. */

let stack: TestStack;
let admin: string;
let internal: ReturnType<typeof internalCaller>;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'shipping'], env: { shipping: { CARRIER_WEBHOOK_SECRET: WEBHOOK_SECRET } } });
  admin = await adminToken(stack);
  internal = internalCaller(stack);
});
afterAll(() => stack?.stop());

/** An admin moves a shipment through the router. */
async function adminMove(shipmentId: string, status: string) {
  const res = await gql(stack.url, UPDATE_STATUS, { shipmentId, status }, { token: admin });
  expect(res.errors).toBeUndefined();
  return res.data!.updateShipmentStatus;
}

/** The shipment's status and events, read as orders would (internal `_entities`). */
async function eventsOf(shipment: { orderId: string }) {
  const res = await internal('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { shipment { status events { status location note at } } } } }', {
    r: [{ __typename: 'Order', id: shipment.orderId }],
  });
  return res.data!._entities[0].shipment;
}

describe('carrier webhook', () => {
  it('applies a correctly signed update, with no router credential', async () => {
    const shipment = await createShipment(stack);
    const occurredAt = new Date(Date.now() - 60_000).toISOString();
    const res = await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { occurredAt, note: 'Picked up' }));
    expect(res).toEqual({ status: 200, body: { outcome: 'applied', trackingNumber: shipment.trackingNumber, status: 'IN_TRANSIT' } });
    const { status, events } = await eventsOf(shipment);
    expect(status).toBe('IN_TRANSIT');
    expect(events[1]).toEqual({ status: 'IN_TRANSIT', location: 'Leipzig hub', note: 'Picked up', at: occurredAt });
  });

  it('refuses a bad or missing signature with 401 and changes nothing', async () => {
    const shipment = await createShipment(stack);
    const update = carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT');
    const refused = [
      await postCarrierUpdate(stack, update, { secret: 'not-the-secret-but-long-enough-to-be-one' }),
      await postCarrierUpdate(stack, update, { signature: null }),
      await postCarrierUpdate(stack, update, { signature: 'sha256=deadbeef' }),
      await postCarrierUpdate(stack, update, { signature: `sha256=${'0'.repeat(64)}` }),
    ];
    for (const res of refused) expect(res.status).toBe(401);
    expect(refused[0]!.body.error.code).toBe('UNAUTHENTICATED');
    // A body other than the one signed.
    const signedFor = JSON.stringify(update);
    const ts = Math.floor(Date.now() / 1000);
    const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`${ts}.${signedFor}`).digest('hex')}`;
    const tampered = await postCarrierUpdate(stack, null, { rawBody: JSON.stringify({ ...update, status: 'DELIVERED' }), timestamp: ts, signature });
    expect(tampered.status).toBe(401);
    expect((await eventsOf(shipment)).status).toBe('LABEL_CREATED');
  });

  it('refuses a timestamp more than five minutes old or ahead (replay) with 401', async () => {
    const shipment = await createShipment(stack);
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 301, now + 301, now - 86_400]) {
      const res = await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT'), { timestamp });
      expect(res.status, String(timestamp - now)).toBe(401);
    }
    expect((await eventsOf(shipment)).status).toBe('LABEL_CREATED');
  });

  it('applies an update delivered twice once, answering 200 both times', async () => {
    const shipment = await createShipment(stack);
    const update = carrierUpdate(shipment.trackingNumber, 'EXCEPTION', { note: 'Recipient absent' });
    expect((await postCarrierUpdate(stack, update)).body.outcome).toBe('applied');
    expect(await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT'))).toMatchObject({ status: 200, body: { outcome: 'applied' } });
    // The EXCEPTION again (a redelivery, same occurredAt) would be a legal move now: it must still not apply.
    const again = await postCarrierUpdate(stack, update);
    expect(again).toEqual({ status: 200, body: { outcome: 'duplicate', trackingNumber: shipment.trackingNumber, status: 'IN_TRANSIT' } });
    // Concurrent redeliveries of a new update: one applies.
    const next = carrierUpdate(shipment.trackingNumber, 'OUT_FOR_DELIVERY');
    const results = await Promise.all(Array.from({ length: 5 }, () => postCarrierUpdate(stack, next)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(results.filter((r) => r.body.outcome === 'applied')).toHaveLength(1);
    const { events } = await eventsOf(shipment);
    expect(events.map((e: { status: string }) => e.status)).toEqual(['LABEL_CREATED', 'EXCEPTION', 'IN_TRANSIT', 'OUT_FOR_DELIVERY']);
  });

  it('answers 404 for an unknown tracking number', async () => {
    const res = await postCarrierUpdate(stack, carrierUpdate('SG0000000000', 'IN_TRANSIT'));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('answers 409 for a move that is not allowed, also for a voided label, and changes nothing', async () => {
    const shipment = await createShipment(stack);
    const res = await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'DELIVERED'));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    // A redelivery is refused again (a refused update is not recorded).
    expect((await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'DELIVERED'))).status).toBe(409);
    expect((await eventsOf(shipment)).events).toHaveLength(1);

    const voided = await createShipment(stack);
    expect((await internal(CANCEL, { orderId: voided.orderId })).data!.cancelShipment.cancelled).toBe(true);
    expect((await postCarrierUpdate(stack, carrierUpdate(voided.trackingNumber, 'IN_TRANSIT'))).status).toBe(409);
  });

  it('ignores an update older than the newest one applied (out of order), and repeats of the current status', async () => {
    const shipment = await createShipment(stack);
    const t = Date.now() - 120_000;
    const at = (offset: number) => new Date(t + offset).toISOString();
    expect((await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { occurredAt: at(0) }))).body.outcome).toBe('applied');
    expect((await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { occurredAt: at(5_000), location: 'Kassel hub' }))).body.outcome).toBe('unchanged');
    expect((await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'EXCEPTION', { occurredAt: at(20_000) }))).body.outcome).toBe('applied');
    // An IN_TRANSIT scan from before the exception arrives late: it would be a legal move, but it is old news.
    const late = await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { occurredAt: at(10_000) }));
    expect(late).toEqual({ status: 200, body: { outcome: 'stale', trackingNumber: shipment.trackingNumber, status: 'EXCEPTION' } });
    const { status, events } = await eventsOf(shipment);
    expect(status).toBe('EXCEPTION');
    expect(events).toHaveLength(3);
    // An admin's change is not a carrier update: it moves regardless of carrier times.
    expect((await adminMove(shipment.id, 'IN_TRANSIT')).status).toBe('IN_TRANSIT');
  });

  it('answers 400 for a malformed body, 413 for an oversized one', async () => {
    const shipment = await createShipment(stack);
    const cases: Array<[string, unknown]> = [
      ['not JSON', null],
      ['missing fields', { trackingNumber: shipment.trackingNumber }],
      ['unknown status', carrierUpdate(shipment.trackingNumber, 'LOST')],
      ['bad time', carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { occurredAt: 'yesterday' })],
      ['time in the future', carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { occurredAt: new Date(Date.now() + 3_600_000).toISOString() })],
      ['overlong note', carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { note: 'x'.repeat(501) })],
      ['an array', [1, 2]],
    ];
    for (const [what, payload] of cases) {
      const res = await postCarrierUpdate(stack, payload, what === 'not JSON' ? { rawBody: '{"trackingNumber": ' } : {});
      expect(res.status, what).toBe(400);
      expect(res.body.error.code, what).toBe('BAD_USER_INPUT');
    }
    const huge = await postCarrierUpdate(stack, carrierUpdate(shipment.trackingNumber, 'IN_TRANSIT', { note: 'x'.repeat(70_000) }));
    expect(huge.status).toBe(413);
    expect((await eventsOf(shipment)).status).toBe('LABEL_CREATED');
  });

  it('is only served for POST', async () => {
    const res = await fetch(`${stack.subgraphs.shipping!.origin}/webhooks/carrier`);
    expect(res.status).toBe(404);
  });
});
