import { randomUUID } from 'node:crypto';
import { errorCode } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cancel,
  capture,
  capturedOrder,
  captureOk,
  eventKinds,
  newCapture,
  type PaymentsFixture,
  providerOperations,
  refund,
  startPayments,
  tableCounts,
} from './fixture.ts';

/** cancelPayment, the checkout saga's compensation: void before capture, refund after. */

let f: PaymentsFixture;

beforeAll(async () => {
  f = await startPayments();
});
afterAll(() => f?.stop());

const kinds = async (orderId: string) => (await providerOperations(f, orderId)).map((op) => op.kind);

describe('cancelPayment', () => {
  it('returns null for an order without a payment, writing nothing', async () => {
    const counts = await tableCounts(f);
    const res = await cancel(f, randomUUID());
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelPayment).toBeNull();
    expect(await tableCounts(f)).toEqual(counts);
  });

  it('voids an authorized, uncaptured payment at the provider; the payment can then never be captured', async () => {
    const input = newCapture(f, { paymentToken: 'tok_flakyCapture' });
    expect((await captureOk(f, input)).payment.status).toBe('AUTHORIZED');
    const res = await cancel(f, input.orderId, 'customer cancelled');
    expect(res.data!.cancelPayment).toMatchObject({ status: 'VOIDED', capturedAmount: { amount: 0 }, refunds: [] });
    const repeat = await cancel(f, input.orderId, 'customer cancelled');
    expect(repeat.data!.cancelPayment).toEqual(res.data!.cancelPayment);

    const late = await capture(f, input);
    expect(errorCode(late)).toBe('CONFLICT');
    expect(await kinds(input.orderId)).toEqual(['AUTHORIZATION', 'VOID']);
    expect((await providerOperations(f, input.orderId))[0]!.state).toBe('VOIDED');
    expect(await eventKinds(f, input.orderId)).toEqual(['AUTHORIZE', 'VOID']);
  });

  it('voids a PENDING payment (the provider was unavailable) without calling the provider', async () => {
    const input = newCapture(f, { paymentToken: 'tok_flaky' });
    expect((await captureOk(f, input)).outcome).toBe('RETRY');
    const res = await cancel(f, input.orderId);
    expect(res.data!.cancelPayment.status).toBe('VOIDED');
    expect(errorCode(await capture(f, input))).toBe('CONFLICT');
    expect(await kinds(input.orderId)).toEqual([]);
    expect(await eventKinds(f, input.orderId)).toEqual(['VOID']);
  });

  it('refunds a captured payment in full, once', async () => {
    const orderId = await capturedOrder(f, { amount: 3500 });
    const res = await cancel(f, orderId, 'customer cancelled before shipping');
    expect(res.data!.cancelPayment).toMatchObject({
      status: 'REFUNDED',
      refundedAmount: { amount: 3500 },
      refunds: [{ amount: { amount: 3500 }, reason: 'customer cancelled before shipping' }],
    });
    const repeat = await cancel(f, orderId, 'customer cancelled before shipping');
    expect(repeat.data!.cancelPayment).toEqual(res.data!.cancelPayment);
    expect(await kinds(orderId)).toEqual(['AUTHORIZATION', 'CAPTURE', 'REFUND']);
    // The capture step re-run by a late saga retry does not capture again.
    const input = { ...newCapture(f, { amount: 3500 }), orderId };
    expect((await captureOk(f, input)).outcome).toBe('CAPTURED');
    expect(await kinds(orderId)).toEqual(['AUTHORIZATION', 'CAPTURE', 'REFUND']);
  });

  it('refunds what is left of a partly refunded payment', async () => {
    const orderId = await capturedOrder(f, { amount: 1000 });
    expect((await refund(f, { orderId, amount: 300 })).errors).toBeUndefined();
    const res = await cancel(f, orderId);
    expect(res.data!.cancelPayment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 1000 } });
    expect(res.data!.cancelPayment.refunds.map((r: { amount: { amount: number } }) => r.amount.amount)).toEqual([300, 700]);
  });

  it('leaves a DECLINED payment DECLINED', async () => {
    const input = newCapture(f, { paymentToken: 'tok_insufficientFunds' });
    const declined = await captureOk(f, input);
    const counts = await tableCounts(f);
    const res = await cancel(f, input.orderId);
    expect(res.data!.cancelPayment).toEqual(declined.payment);
    expect(await tableCounts(f)).toEqual(counts);
  });

  it('refuses a malformed order id or an empty reason, writing nothing', async () => {
    const orderId = await capturedOrder(f);
    const counts = await tableCounts(f);
    expect(errorCode(await cancel(f, 'order-42'))).toBe('BAD_USER_INPUT');
    expect(errorCode(await cancel(f, orderId, ''))).toBe('BAD_USER_INPUT');
    expect(await tableCounts(f)).toEqual(counts);
  });

  it('settles concurrent cancellations of a captured payment with one refund', async () => {
    const orderId = await capturedOrder(f, { amount: 800 });
    const results = await Promise.all(Array.from({ length: 5 }, () => cancel(f, orderId)));
    for (const res of results) expect(res.data!.cancelPayment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 800 } });
    expect(await kinds(orderId)).toEqual(['AUTHORIZATION', 'CAPTURE', 'REFUND']);
  });
});
