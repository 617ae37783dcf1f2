import { randomUUID } from 'node:crypto';
import { errorCode } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizationIdOf,
  capturedOrder,
  captureOk,
  eventKinds,
  newCapture,
  type PaymentsFixture,
  paymentOf,
  providerOperations,
  refund,
  startPayments,
  tableCounts,
} from './fixture.ts';

/** refundPayment through the router: limits, statuses, access, concurrency, and recovery after a crash. */

let f: PaymentsFixture;

beforeAll(async () => {
  f = await startPayments();
});
afterAll(() => f?.stop());

const providerRefunds = async (orderId: string) => (await providerOperations(f, orderId)).filter((op) => op.kind === 'REFUND');

describe('refundPayment', () => {
  it('refunds everything left when no amount is given: REFUNDED', async () => {
    const orderId = await capturedOrder(f, { amount: 1999 });
    const res = await refund(f, { orderId, reason: 'damaged in transit' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.refundPayment).toMatchObject({
      orderId,
      status: 'REFUNDED',
      capturedAmount: { amount: 1999 },
      refundedAmount: { amount: 1999 },
      refunds: [{ amount: { amount: 1999, currency: 'EUR', formatted: '€19.99' }, reason: 'damaged in transit' }],
    });
    expect((await providerRefunds(orderId)).map((op) => [op.amount, op.idempotencyKey])).toEqual([[1999, `${orderId}:refund:1`]]);
    expect(await eventKinds(f, orderId)).toEqual(['AUTHORIZE', 'CAPTURE', 'REFUND']);
  });

  it('refunds in parts: PARTIALLY_REFUNDED, then REFUNDED once everything is back, refunds oldest first', async () => {
    const orderId = await capturedOrder(f, { amount: 1000 });
    const first = await refund(f, { orderId, amount: 300, reason: 'one item missing' });
    expect(first.data!.refundPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 300 } });
    const second = await refund(f, { orderId, amount: 200, reason: 'late delivery' });
    expect(second.data!.refundPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 500 } });
    const rest = await refund(f, { orderId, reason: 'customer unhappy' });
    expect(rest.data!.refundPayment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 1000 } });
    expect(rest.data!.refundPayment.refunds.map((r: { amount: { amount: number }; reason: string }) => [r.amount.amount, r.reason])).toEqual([
      [300, 'one item missing'],
      [200, 'late delivery'],
      [500, 'customer unhappy'],
    ]);
    expect((await providerRefunds(orderId)).map((op) => op.amount)).toEqual([300, 200, 500]);
  });

  it('refuses more than is left to refund (BAD_USER_INPUT) and writes nothing', async () => {
    const orderId = await capturedOrder(f, { amount: 1000 });
    expect((await refund(f, { orderId, amount: 600 })).errors).toBeUndefined();
    const counts = await tableCounts(f);
    const over = await refund(f, { orderId, amount: 401 });
    expect(errorCode(over)).toBe('BAD_USER_INPUT');
    expect(over.errors![0]!.extensions).toMatchObject({ field: 'amount', refundable: 400 });
    expect(over.errors![0]!.message).toContain('€4.00');
    expect((await refund(f, { orderId })).errors).toBeUndefined();
    const afterFull = await refund(f, { orderId, amount: 1 });
    expect(errorCode(afterFull)).toBe('BAD_USER_INPUT');
    expect(errorCode(await refund(f, { orderId }))).toBe('BAD_USER_INPUT');
    const payment = await paymentOf(f, orderId);
    expect(payment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 1000 } });
    expect((await tableCounts(f))!.refunds).toBe(counts!.refunds + 1);
  });

  it('refuses to refund a payment that captured nothing', async () => {
    const input = newCapture(f, { paymentToken: 'tok_chargeDeclined' });
    await captureOk(f, input);
    const res = await refund(f, { orderId: input.orderId, amount: 100 });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toContain('DECLINED');
  });

  it('refuses bad input, unknown orders and non-admins, writing nothing', async () => {
    const orderId = await capturedOrder(f);
    const counts = await tableCounts(f);
    for (const variables of [
      { orderId, amount: 0 },
      { orderId, amount: -5 },
      { orderId, reason: '   ' },
      { orderId: 'not-an-order', amount: 100 },
    ]) {
      expect(errorCode(await refund(f, variables))).toBe('BAD_USER_INPUT');
    }
    expect(errorCode(await refund(f, { orderId: randomUUID() }))).toBe('NOT_FOUND');
    expect(errorCode(await refund(f, { orderId }, f.customers[0]!.token))).toBe('FORBIDDEN');
    expect(errorCode(await refund(f, { orderId }, ''))).toBe('UNAUTHENTICATED');
    expect(await tableCounts(f)).toEqual(counts);
    expect((await paymentOf(f, orderId)).status).toBe('CAPTURED');
  });

  it('never over-refunds under concurrent refunds', async () => {
    const orderId = await capturedOrder(f, { amount: 1000 });
    const results = await Promise.all(Array.from({ length: 10 }, () => refund(f, { orderId, amount: 300 })));
    expect(results.filter((res) => !res.errors)).toHaveLength(3);
    for (const res of results.filter((r) => r.errors)) expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(await paymentOf(f, orderId)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 900 } });
    expect((await providerRefunds(orderId)).map((op) => op.amount)).toEqual([300, 300, 300]);

    const full = await Promise.all(Array.from({ length: 5 }, () => refund(f, { orderId })));
    expect(full.filter((res) => !res.errors)).toHaveLength(1);
    expect(await paymentOf(f, orderId)).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 1000 } });
    expect((await providerRefunds(orderId)).reduce((sum, op) => sum + op.amount, 0)).toBe(1000);
  });
});

describe('refundPayment after a crash between the provider and our commit', () => {
  /** Plays the refund a crashed earlier refundPayment made at the provider without recording it. */
  async function orphanRefund(orderId: string, amount: number, reason: string) {
    await f.built.provider.refund({ idempotencyKey: `${orderId}:refund:1`, authorizationId: await authorizationIdOf(f, orderId), amount, reason });
  }

  it('recognises the repeated request as its own and refunds once', async () => {
    const orderId = await capturedOrder(f, { amount: 1000 });
    await orphanRefund(orderId, 400, 'wrong size');
    const res = await refund(f, { orderId, amount: 400, reason: 'wrong size' });
    expect(res.errors).toBeUndefined();
    expect(res.data!.refundPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 400 } });
    expect((await providerRefunds(orderId)).map((op) => op.amount)).toEqual([400]);
  });

  it('records a different earlier refund it finds and reports CONFLICT, so the admin decides', async () => {
    const orderId = await capturedOrder(f, { amount: 1000 });
    await orphanRefund(orderId, 250, 'goodwill');
    const res = await refund(f, { orderId, amount: 400, reason: 'wrong size' });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.errors![0]!.message).toContain('€2.50');
    expect(await paymentOf(f, orderId)).toMatchObject({
      status: 'PARTIALLY_REFUNDED',
      refundedAmount: { amount: 250 },
      refunds: [{ amount: { amount: 250 }, reason: 'goodwill' }],
    });
    const again = await refund(f, { orderId, amount: 400, reason: 'wrong size' });
    expect(again.data!.refundPayment.refundedAmount.amount).toBe(650);
    expect((await providerRefunds(orderId)).map((op) => op.amount)).toEqual([250, 400]);
  });
});
