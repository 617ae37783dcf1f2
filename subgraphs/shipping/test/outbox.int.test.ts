import { connectDb, createLogger, createQueue, createWorker, SHIPMENT_STATUS_QUEUE, type ShipmentStatusEvent } from '@shopgraph/kit';
import { errorCode, gql, testRedisUrl, uniqueName } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { schema } from '../src/db/schema.ts';
import type { ShippingSubgraph } from '../src/server.ts';
import { adminToken, CANCEL, carrierUpdate, createShipment, eventually, internalCaller, postCarrierUpdate, shipmentInput, UPDATE_STATUS, WEBHOOK_SECRET } from './helpers.ts';

/**
 * Every status change that orders acts on (SHIPMENT_STATUS_INTERESTS: on its way, delivered), whoever made it, is
 * published exactly once (per outbox row) as a job on the shipment status queue that orders consumes; nothing
 * else is, though every change is a shipment event. Read here by a BullMQ worker on the stack's own queue
 * prefix, as orders would.
 */

const prefix = uniqueName('shipping-outbox');
const settings = { redisUrl: testRedisUrl(), prefix, logger: createLogger('test', 'silent') };
let stack: TestStack;
const received: Array<{ id: string | undefined; name: string; data: ShipmentStatusEvent; attempts: number | undefined }> = [];
let worker: ReturnType<typeof createWorker<ShipmentStatusEvent>>;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'shipping'], env: { shipping: { QUEUE_PREFIX: prefix, CARRIER_WEBHOOK_SECRET: WEBHOOK_SECRET } } });
  worker = createWorker<ShipmentStatusEvent>(
    SHIPMENT_STATUS_QUEUE,
    async (job) => {
      received.push({ id: job.id, name: job.name, data: job.data, attempts: job.opts.attempts });
    },
    settings,
  );
});
afterAll(async () => {
  await worker?.close();
  await stack?.stop();
});

describe('shipment status events', () => {
  it('publishes exactly the status changes orders acts on, with unique event ids as job ids', async () => {
    const internal = internalCaller(stack);
    const admin = await adminToken(stack);
    const move = (shipmentId: string, status: string, extra: Record<string, unknown> = {}) => gql(stack.url, UPDATE_STATUS, { shipmentId, status, ...extra }, { token: admin });

    const inputA = shipmentInput();
    const a = await createShipment(stack, inputA); // LABEL_CREATED: recorded, not published
    await createShipment(stack, inputA); // idempotent: nothing
    expect((await move(a.id, 'IN_TRANSIT', { location: 'Leipzig hub', note: 'Picked up' })).errors).toBeUndefined(); // IN_TRANSIT
    await move(a.id, 'IN_TRANSIT'); // no-op
    expect(errorCode(await move(a.id, 'DELIVERED'))).toBe('CONFLICT'); // nothing
    const outForDelivery = carrierUpdate(a.trackingNumber, 'OUT_FOR_DELIVERY', { location: 'Berlin Mitte' });
    expect((await postCarrierUpdate(stack, outForDelivery)).body.outcome).toBe('applied'); // OUT_FOR_DELIVERY
    expect((await postCarrierUpdate(stack, outForDelivery)).body.outcome).toBe('duplicate'); // nothing
    const delivered = carrierUpdate(a.trackingNumber, 'DELIVERED', { note: 'Handed to recipient' });
    expect((await postCarrierUpdate(stack, delivered)).body.outcome).toBe('applied'); // DELIVERED

    const inputB = shipmentInput();
    const b = await createShipment(stack, inputB); // LABEL_CREATED: recorded, not published
    expect((await internal(CANCEL, { orderId: inputB.orderId })).data!.cancelShipment.cancelled).toBe(true); // not a status change

    const { publisher } = stack.subgraphs.shipping!.built as ShippingSubgraph;
    await publisher.relay.drain();
    const queue = createQueue<ShipmentStatusEvent>(SHIPMENT_STATUS_QUEUE, settings);
    try {
      const counts = await eventually(
        () => queue.getJobCounts('completed', 'active', 'waiting', 'delayed', 'failed', 'prioritized'),
        (c) => c.completed === 3,
      );
      expect(counts).toEqual({ completed: 3, active: 0, waiting: 0, delayed: 0, failed: 0, prioritized: 0 });
    } finally {
      await queue.close();
    }
    expect(received).toHaveLength(3);

    const ofA = received.filter((job) => job.data.shipmentId === a.id);
    expect(ofA.map((job) => [job.data.previousStatus, job.data.status])).toEqual([
      ['LABEL_CREATED', 'IN_TRANSIT'],
      ['IN_TRANSIT', 'OUT_FOR_DELIVERY'],
      ['OUT_FOR_DELIVERY', 'DELIVERED'],
    ]);
    for (const job of ofA) {
      expect(job.data).toMatchObject({ orderId: inputA.orderId, shipmentId: a.id, trackingNumber: a.trackingNumber, carrier: 'DHL' });
    }
    expect(ofA[0]!.data).toMatchObject({ location: 'Leipzig hub', note: 'Picked up' });
    expect(ofA[1]!.data).toMatchObject({ location: 'Berlin Mitte', at: outForDelivery.occurredAt });
    expect(ofA[2]!.data).toMatchObject({ note: 'Handed to recipient', at: delivered.occurredAt });
    expect(received.filter((job) => job.data.shipmentId === b.id)).toEqual([]);

    // Job id = event id = the shipment event row's id; all unique; retried with backoff when orders fails.
    const ids = received.map((job) => job.id);
    expect(new Set(ids).size).toBe(3);
    for (const job of received) {
      expect(job.id).toBe(job.data.eventId);
      expect(job.name).toBe('shipment.status-changed');
      expect(job.attempts).toBe(10);
      expect(new Date(job.data.at).toISOString()).toBe(job.data.at);
    }
    const { sql, close } = connectDb(stack.subgraphs.shipping!.databaseUrl, schema, { max: 1 });
    try {
      // Five shipment events; the three published are those that are not LABEL_CREATED.
      const rows = await sql`select id, status::text from shipment_events`;
      expect(rows).toHaveLength(5);
      expect(rows.filter((row) => row.status !== 'LABEL_CREATED').map((row) => row.id as string).sort()).toEqual([...ids].sort());
      const [pending] = await sql`select count(*)::int as n from outbox where published_at is null`;
      expect(pending!.n).toBe(0);
    } finally {
      await close();
    }
  });

  it('publishes a change committed while the relay was down once it runs again (the outbox keeps it)', async () => {
    const { publisher } = stack.subgraphs.shipping!.built as ShippingSubgraph;
    const before = received.length;
    await publisher.relay.stop();
    try {
      const shipment = await createShipment(stack);
      const admin = await adminToken(stack);
      expect((await gql(stack.url, UPDATE_STATUS, { shipmentId: shipment.id, status: 'IN_TRANSIT' }, { token: admin })).errors).toBeUndefined();
      const { sql, close } = connectDb(stack.subgraphs.shipping!.databaseUrl, schema, { max: 1 });
      try {
        const [pending] = await sql`select count(*)::int as n from outbox where published_at is null`;
        expect(pending!.n).toBe(1);
      } finally {
        await close();
      }
      expect(received).toHaveLength(before);
      publisher.relay.start();
      const all = await eventually(
        async () => received,
        (jobs) => jobs.length > before,
      );
      expect(all.slice(before).map((job) => [job.data.shipmentId, job.data.status])).toEqual([[shipment.id, 'IN_TRANSIT']]);
    } finally {
      publisher.relay.start();
    }
  });
});
