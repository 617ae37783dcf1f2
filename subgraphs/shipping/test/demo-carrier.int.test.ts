import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { CANCEL, createShipment, eventually, internalCaller, shipmentInput } from './helpers.ts';

/** The demo carrier (DEMO_CARRIER_INTERVAL_SECONDS): parcels move to DELIVERED by themselves; voided labels stay. */

let stack: TestStack;
let internal: ReturnType<typeof internalCaller>;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'shipping'], env: { shipping: { DEMO_CARRIER_INTERVAL_SECONDS: '1' } } });
  internal = internalCaller(stack);
});
afterAll(() => stack?.stop());

const SHIPMENT_OF = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { shipment { status cancelled events { status location note } } } } }`;
const shipmentOf = async (orderId: string) => (await internal(SHIPMENT_OF, { r: [{ __typename: 'Order', id: orderId }] })).data!._entities[0].shipment;

describe('demo carrier', () => {
  it('moves a parcel one step per round to DELIVERED, and leaves a voided label alone', async () => {
    const moving = shipmentInput();
    const voided = shipmentInput();
    await createShipment(stack, moving);
    await createShipment(stack, voided);
    expect((await internal(CANCEL, { orderId: voided.orderId })).data!.cancelShipment.cancelled).toBe(true);

    const delivered = await eventually(
      () => shipmentOf(moving.orderId),
      (s) => s.status === 'DELIVERED',
      20_000,
    );
    expect(delivered.events.map((e: { status: string }) => e.status)).toEqual(['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    expect(delivered.events[1]).toMatchObject({ location: 'Demo carrier hub', note: 'Moved by the demo carrier' });
    expect(await shipmentOf(voided.orderId)).toEqual({ status: 'LABEL_CREATED', cancelled: true, events: [{ status: 'LABEL_CREATED', location: null, note: 'DHL Standard label created' }] });
  });
});
