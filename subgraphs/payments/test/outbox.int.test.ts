import { createLogger, createQueue, createWorker, PAYMENT_STATUS_QUEUE, type PaymentStatusEvent } from '@shopgraph/kit';
import { errorCode, testRedisUrl, uniqueName } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/support/stack.ts';
import { cancel, capturedOrder, captureOk, newCapture, type PaymentsFixture, refund, startPayments } from './fixture.ts';

/**
 * Every payment status change, whatever caused it (capture, decline, void, refunds, cancelPayment), is
 * published exactly once (per outbox row) as a job on the payment status queue that orders consumes;
 * nothing else is. Read here by a BullMQ worker on the stack's queue prefix, as orders would.
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
  it('publishes exactly the status changes, with unique event ids as job ids', async () => {
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
        (c) => c.completed === 12,
      );
      expect(counts).toEqual({ completed: 12, active: 0, waiting: 0, delayed: 0, failed: 0, prioritized: 0 });
    } finally {
      await queue.close();
    }
    expect(received).toHaveLength(12);

    expect(changesOf(inputA.orderId)).toEqual([
      ['PENDING', 'AUTHORIZED'],
      ['AUTHORIZED', 'CAPTURED'],
      ['CAPTURED', 'PARTIALLY_REFUNDED'],
      ['PARTIALLY_REFUNDED', 'PARTIALLY_REFUNDED'],
      ['PARTIALLY_REFUNDED', 'REFUNDED'],
    ]);
    const ofA = received.filter((job) => job.data.orderId === inputA.orderId).map((job) => job.data);
    expect(ofA.map((e) => [e.refundedAmount, e.reason])).toEqual([
      [0, null],
      [0, null],
      [1000, 'damaged box'],
      [1500, 'customer returned the goods'],
      [2500, 'order cancelled'],
    ]);
    for (const event of ofA) expect(event).toMatchObject({ amount: 2500, currency: 'EUR' });
    expect(new Set(ofA.map((e) => e.paymentId)).size).toBe(1);
    expect(received.filter((job) => job.data.orderId === inputB.orderId).map((job) => job.data)).toEqual([
      expect.objectContaining({ previousStatus: 'PENDING', status: 'DECLINED', reason: 'card_declined' }),
    ]);
    expect(changesOf(inputC.orderId)).toEqual([
      ['PENDING', 'AUTHORIZED'],
      ['AUTHORIZED', 'VOIDED'],
    ]);
    expect(changesOf(inputD.orderId)).toEqual([['PENDING', 'VOIDED']]);
    expect(received.filter((job) => job.data.orderId === orderE).map((job) => job.data)).toEqual([
      expect.objectContaining({ previousStatus: 'PENDING', status: 'AUTHORIZED' }),
      expect.objectContaining({ previousStatus: 'AUTHORIZED', status: 'CAPTURED' }),
      expect.objectContaining({ previousStatus: 'CAPTURED', status: 'REFUNDED', amount: 4200, refundedAmount: 4200, reason: 'goodwill' }),
    ]);

    // Job id = event id, all unique; retried with backoff when orders fails.
    const ids = received.map((job) => job.id);
    expect(new Set(ids).size).toBe(12);
    for (const job of received) {
      expect(job.id).toBe(job.data.eventId);
      expect(job.name).toBe('payment.status-changed');
      expect(job.attempts).toBe(10);
      expect(new Date(job.data.at).toISOString()).toBe(job.data.at);
    }
    // One outbox row per recorded payment event, all published.
    const [row] = await f.sql`select (select count(*)::int from payment_events) as events, (select count(*)::int from outbox) as outbox,
      (select count(*)::int from outbox where published_at is null) as pending`;
    expect(row).toEqual({ events: 12, outbox: 12, pending: 0 });
    const outboxIds = await f.sql`select event_id from outbox`;
    expect(outboxIds.map((r) => r.event_id as string).sort()).toEqual([...ids].sort());
  });

  it('publishes a change committed while the relay was down once it runs again (the outbox keeps it)', async () => {
    const before = received.length;
    await f.built.publisher.relay.stop();
    try {
      const orderId = await capturedOrder(f);
      const [pending] = await f.sql`select count(*)::int as n from outbox where published_at is null`;
      expect(pending!.n).toBe(2);
      expect(received).toHaveLength(before);
      f.built.publisher.relay.start();
      await eventually(
        async () => received.length,
        (n) => n === before + 2,
      );
      expect(changesOf(orderId)).toEqual([
        ['PENDING', 'AUTHORIZED'],
        ['AUTHORIZED', 'CAPTURED'],
      ]);
    } finally {
      f.built.publisher.relay.start();
    }
  });
});
