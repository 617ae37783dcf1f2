import { createLogger, createQueue, createWorker, PAYMENT_STATUS_QUEUE, type PaymentStatusEvent } from '@shopgraph/kit';
import { errorCode, testRedisUrl, uniqueName } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/stack.ts';
import { cancel, capturedOrder, captureOk, newCapture, type PaymentsFixture, refund, startPayments } from './fixture.ts';

/**
 * Every payment status change that orders acts on (PAYMENT_STATUS_INTERESTS: a refund in full), whatever caused it
 * (an admin's refund, cancelPayment), is published exactly once (per outbox row) as a job on the payment status
 * queue that orders consumes; nothing else is, though every change is recorded in payment_events. Read here by a
 * BullMQ worker on the stack's queue prefix, as orders would.
 */

const prefix = uniqueName('payments-outbox');
const settings = { redisUrl: testRedisUrl(), prefix, logger: createLogger('test', 'silent') };
let f: PaymentsFixture;
const received: Array<{ id: string | undefined; name: string; data: PaymentStatusEvent; attempts: number | undefined }> = [];
let worker: ReturnType<typeof createWorker<PaymentStatusEvent>>;

beforeAll(async () => {
  f = await startPayments({ QUEUE_PREFIX: prefix });
  worker = createWorker<PaymentStatusEvent>(
    PAYMENT_STATUS_QUEUE,
    async (job) => {
      received.push({ id: job.id, name: job.name, data: job.data, attempts: job.opts.attempts });
    },
    settings,
  );
});
afterAll(async () => {
  await worker?.close();
  await f?.stop();
});

const changesOf = (orderId: string) => received.filter((job) => job.data.orderId === orderId).map((job) => [job.data.previousStatus, job.data.status]);

describe('payment status events', () => {
  it('publishes exactly the status changes orders acts on, with unique event ids as job ids', async () => {
    // Each change is commented with what it records in payment_events; only REFUNDED is published.
    // A: captured, refunded in two parts, then cancelled (the rest refunded).
    const inputA = newCapture(f);
    expect((await captureOk(f, inputA)).outcome).toBe('CAPTURED'); // AUTHORIZED, CAPTURED
    expect((await captureOk(f, inputA)).outcome).toBe('CAPTURED'); // repeat: nothing
    expect((await refund(f, { orderId: inputA.orderId, amount: 1000, reason: 'damaged box' })).errors).toBeUndefined(); // PARTIALLY_REFUNDED
    expect((await refund(f, { orderId: inputA.orderId, amount: 500 })).errors).toBeUndefined(); // PARTIALLY_REFUNDED again
    expect(errorCode(await refund(f, { orderId: inputA.orderId, amount: 5000 }))).toBe('BAD_USER_INPUT'); // nothing
    expect((await cancel(f, inputA.orderId, 'order cancelled')).data!.cancelPayment.status).toBe('REFUNDED'); // REFUNDED
    expect((await cancel(f, inputA.orderId)).data!.cancelPayment.status).toBe('REFUNDED'); // nothing
    expect(errorCode(await refund(f, { orderId: inputA.orderId }))).toBe('BAD_USER_INPUT'); // nothing

    // B: declined (twice asked). C: authorized, capture failed, voided. D: provider down, voided while PENDING.
    const inputB = newCapture(f, { paymentToken: 'tok_chargeDeclined' });
    expect((await captureOk(f, inputB)).outcome).toBe('DECLINED'); // DECLINED
    expect((await captureOk(f, inputB)).outcome).toBe('DECLINED'); // nothing
    const inputC = newCapture(f, { paymentToken: 'tok_flakyCapture' });
    expect((await captureOk(f, inputC)).outcome).toBe('RETRY'); // AUTHORIZED
    expect((await cancel(f, inputC.orderId)).data!.cancelPayment.status).toBe('VOIDED'); // VOIDED
    const inputD = newCapture(f, { paymentToken: 'tok_flaky' });
    expect((await captureOk(f, inputD)).outcome).toBe('RETRY'); // nothing
    expect((await cancel(f, inputD.orderId)).data!.cancelPayment.status).toBe('VOIDED'); // VOIDED

    // E: refunded in full by an admin.
    const orderE = await capturedOrder(f, { amount: 4200 }); // AUTHORIZED, CAPTURED
    expect((await refund(f, { orderId: orderE, reason: 'goodwill' })).data!.refundPayment.status).toBe('REFUNDED'); // REFUNDED

    await f.built.publisher.relay.drain();
    const queue = createQueue<PaymentStatusEvent>(PAYMENT_STATUS_QUEUE, settings);
    try {
      const counts = await eventually(
        () => queue.getJobCounts('completed', 'active', 'waiting', 'delayed', 'failed', 'prioritized'),
        (c) => c.completed === 2,
      );
      expect(counts).toEqual({ completed: 2, active: 0, waiting: 0, delayed: 0, failed: 0, prioritized: 0 });
    } finally {
      await queue.close();
    }
    expect(received).toHaveLength(2);

    const [eventA] = received.filter((job) => job.data.orderId === inputA.orderId).map((job) => job.data);
    expect(eventA).toMatchObject({ previousStatus: 'PARTIALLY_REFUNDED', status: 'REFUNDED', amount: 2500, refundedAmount: 2500, currency: 'EUR', reason: 'order cancelled' });
    expect(received.filter((job) => job.data.orderId === orderE).map((job) => job.data)).toEqual([
      expect.objectContaining({ previousStatus: 'CAPTURED', status: 'REFUNDED', amount: 4200, refundedAmount: 4200, reason: 'goodwill' }),
    ]);
    // Declined, voided, authorised, captured, partly refunded: recorded, not published.
    for (const input of [inputB, inputC, inputD]) expect(changesOf(input.orderId)).toEqual([]);
    const [recorded] = await f.sql<Array<{ kinds: string[] }>>`select array_agg(distinct status_after::text order by status_after::text) as kinds from payment_events`;
    expect(recorded!.kinds).toEqual(['AUTHORIZED', 'CAPTURED', 'DECLINED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'VOIDED']);

    // Job id = event id, all unique; retried with backoff when orders fails.
    const ids = received.map((job) => job.id);
    expect(new Set(ids).size).toBe(2);
    for (const job of received) {
      expect(job.id).toBe(job.data.eventId);
      expect(job.name).toBe('payment.status-changed');
      expect(job.attempts).toBe(10);
      expect(new Date(job.data.at).toISOString()).toBe(job.data.at);
    }
    // Twelve changes recorded; one outbox row per published event, all published.
    const [row] = await f.sql`select (select count(*)::int from payment_events) as events, (select count(*)::int from outbox) as outbox,
      (select count(*)::int from outbox where published_at is null) as pending`;
    expect(row).toEqual({ events: 12, outbox: 2, pending: 0 });
    const outboxIds = await f.sql`select event_id from outbox`;
    expect(outboxIds.map((r) => r.event_id as string).sort()).toEqual([...ids].sort());
  });

  it('publishes a change committed while the relay was down once it runs again (the outbox keeps it)', async () => {
    const before = received.length;
    await f.built.publisher.relay.stop();
    try {
      const orderId = await capturedOrder(f);
      expect((await refund(f, { orderId, reason: 'returned' })).data!.refundPayment.status).toBe('REFUNDED');
      const [pending] = await f.sql`select count(*)::int as n from outbox where published_at is null`;
      expect(pending!.n).toBe(1);
      expect(received).toHaveLength(before);
      f.built.publisher.relay.start();
      await eventually(
        async () => received.length,
        (n) => n === before + 1,
      );
      expect(received).toHaveLength(before + 1);
      expect(changesOf(orderId)).toEqual([['CAPTURED', 'REFUNDED']]);
    } finally {
      f.built.publisher.relay.start();
    }
  });
});
