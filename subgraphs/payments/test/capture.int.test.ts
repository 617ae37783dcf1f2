import { errorCode } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  capture,
  captureOk,
  eventKinds,
  newCapture,
  type PaymentsFixture,
  paymentOf,
  providerOperations,
  startPayments,
  tableCounts,
  VALIDATE_TOKEN,
} from './fixture.ts';

/** capturePayment and validatePaymentToken, as the checkout saga in orders calls them. */

let f: PaymentsFixture;

beforeAll(async () => {
  f = await startPayments();
});
afterAll(() => f?.stop());

describe('capturePayment: sandbox tokens', () => {
  it.each([
    ['tok_visa', 'visa', '4242'],
    ['tok_mastercard', 'mastercard', '4444'],
  ])('captures with %s: one authorization and one capture at the provider', async (token, brand, last4) => {
    const input = newCapture(f, { paymentToken: token, amount: 4999 });
    const result = await captureOk(f, input);
    expect(result).toMatchObject({
      outcome: 'CAPTURED',
      reason: null,
      payment: {
        orderId: input.orderId,
        status: 'CAPTURED',
        amount: { amount: 4999, currency: 'EUR', formatted: '€49.99' },
        capturedAmount: { amount: 4999, currency: 'EUR' },
        refundedAmount: { amount: 0, currency: 'EUR' },
        method: { brand, last4 },
        declineReason: null,
        refunds: [],
      },
    });
    expect(await providerOperations(f, input.orderId)).toEqual([
      { kind: 'AUTHORIZATION', amount: 4999, state: 'CAPTURED', idempotencyKey: `${input.orderId}:authorize` },
      { kind: 'CAPTURE', amount: 4999, state: null, idempotencyKey: `${input.orderId}:capture` },
    ]);
    expect(await eventKinds(f, input.orderId)).toEqual(['AUTHORIZE', 'CAPTURE']);
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined', '0002'],
    ['tok_insufficientFunds', 'insufficient_funds', '9995'],
  ])('declines %s with reason %s, captures nothing, and answers a repeat the same', async (token, reason, last4) => {
    const input = newCapture(f, { paymentToken: token });
    const first = await captureOk(f, input);
    expect(first).toMatchObject({
      outcome: 'DECLINED',
      reason,
      payment: { status: 'DECLINED', declineReason: reason, method: { brand: 'visa', last4 }, capturedAmount: { amount: 0 } },
    });
    const counts = await tableCounts(f);
    const repeat = await captureOk(f, input);
    expect(repeat).toEqual(first);
    expect(await tableCounts(f)).toEqual(counts);
    expect(await providerOperations(f, input.orderId)).toEqual([
      { kind: 'AUTHORIZATION', amount: 2500, state: 'DECLINED', idempotencyKey: `${input.orderId}:authorize` },
    ]);
    expect(await eventKinds(f, input.orderId)).toEqual(['DECLINE']);
  });

  it('tok_flaky: RETRY on the first attempt with nothing captured, CAPTURED on the retry, exactly one capture', async () => {
    const input = newCapture(f, { paymentToken: 'tok_flaky' });
    const first = await captureOk(f, input);
    expect(first).toMatchObject({ outcome: 'RETRY', reason: 'provider_unavailable', payment: { status: 'PENDING', method: null, capturedAmount: { amount: 0 } } });
    expect(await providerOperations(f, input.orderId)).toEqual([]);
    expect(await eventKinds(f, input.orderId)).toEqual([]);

    const retry = await captureOk(f, input);
    expect(retry).toMatchObject({ outcome: 'CAPTURED', payment: { id: first.payment.id, status: 'CAPTURED', capturedAmount: { amount: 2500 } } });
    const again = await captureOk(f, input);
    expect(again.outcome).toBe('CAPTURED');
    expect((await providerOperations(f, input.orderId)).map((op) => op.kind)).toEqual(['AUTHORIZATION', 'CAPTURE']);
    expect(await eventKinds(f, input.orderId)).toEqual(['AUTHORIZE', 'CAPTURE']);
  });

  it('tok_flaky fails the first attempt of every order, not just the first order', async () => {
    for (let i = 0; i < 2; i++) {
      const input = newCapture(f, { paymentToken: 'tok_flaky' });
      expect((await captureOk(f, input)).outcome).toBe('RETRY');
      expect((await captureOk(f, input)).outcome).toBe('CAPTURED');
    }
  });

  it('tok_flakyCapture: RETRY with the payment AUTHORIZED, then the retry captures it once', async () => {
    const input = newCapture(f, { paymentToken: 'tok_flakyCapture' });
    const first = await captureOk(f, input);
    expect(first).toMatchObject({ outcome: 'RETRY', payment: { status: 'AUTHORIZED', method: { brand: 'visa' }, capturedAmount: { amount: 0 } } });
    expect((await captureOk(f, input)).payment.status).toBe('CAPTURED');
    expect((await providerOperations(f, input.orderId)).map((op) => op.kind)).toEqual(['AUTHORIZATION', 'CAPTURE']);
    expect(await eventKinds(f, input.orderId)).toEqual(['AUTHORIZE', 'CAPTURE']);
  });
});

describe('capturePayment: idempotency and concurrency', () => {
  it('returns the same payment on a repeat after CAPTURED, without a second capture', async () => {
    const input = newCapture(f, { currency: 'eur' });
    const first = await captureOk(f, input);
    const counts = await tableCounts(f);
    const repeat = await captureOk(f, { ...input, currency: 'EUR' });
    expect(repeat).toEqual(first);
    expect(await tableCounts(f)).toEqual(counts);
  });

  it('captures exactly once when 20 calls for one order arrive together', async () => {
    const input = newCapture(f, { amount: 12_345 });
    const results = await Promise.all(Array.from({ length: 20 }, () => capture(f, input)));
    for (const res of results) {
      expect(res.errors).toBeUndefined();
      expect(res.data!.capturePayment).toMatchObject({ outcome: 'CAPTURED', payment: { status: 'CAPTURED', capturedAmount: { amount: 12_345 } } });
    }
    expect(new Set(results.map((res) => res.data!.capturePayment.payment.id)).size).toBe(1);
    const operations = await providerOperations(f, input.orderId);
    expect(operations.filter((op) => op.kind === 'CAPTURE')).toHaveLength(1);
    expect(operations.filter((op) => op.kind === 'AUTHORIZATION')).toHaveLength(1);
    expect(await eventKinds(f, input.orderId)).toEqual(['AUTHORIZE', 'CAPTURE']);
  });

  it('refuses the same order with another amount, currency, token or customer (CONFLICT) and writes nothing', async () => {
    const input = newCapture(f);
    await captureOk(f, input);
    const counts = await tableCounts(f);
    for (const changed of [{ amount: 2501 }, { currency: 'USD' }, { paymentToken: 'tok_mastercard' }, { customerId: f.customers[1]!.id }]) {
      const res = await capture(f, { ...input, ...changed });
      expect(errorCode(res)).toBe('CONFLICT');
      expect(res.errors![0]!.message).toContain(input.orderId);
    }
    expect(await tableCounts(f)).toEqual(counts);
    expect((await paymentOf(f, input.orderId)).amount.amount).toBe(2500);
  });
});

describe('capturePayment: refused input', () => {
  it('refuses an unknown payment token with BAD_USER_INPUT and writes nothing', async () => {
    const counts = await tableCounts(f);
    const input = newCapture(f, { paymentToken: 'tok_nonsense' });
    for (const paymentToken of ['tok_nonsense', '__proto__', 'toString']) {
      const res = await capture(f, { ...input, paymentToken });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.message).toBe('Unknown payment token');
    }
    expect(await tableCounts(f)).toEqual(counts);
    expect(await paymentOf(f, input.orderId)).toBeNull();
  });

  it('refuses bad amounts, currencies, ids and tokens, naming each field, and writes nothing', async () => {
    const counts = await tableCounts(f);
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ amount: 0 }, ['amount']],
      [{ amount: -100 }, ['amount']],
      [{ currency: 'EURO' }, ['currency']],
      [{ currency: 'XYZ' }, ['currency']],
      [{ orderId: 'order-1' }, ['orderId']],
      [{ customerId: '42' }, ['customerId']],
      [{ paymentToken: '  ' }, ['paymentToken']],
      [{ amount: 0, currency: 'euros', orderId: 'nope' }, ['orderId', 'amount', 'currency']],
    ];
    for (const [changed, fields] of cases) {
      const res = await capture(f, { ...newCapture(f), ...changed });
      expect(errorCode(res)).toBe('BAD_USER_INPUT');
      expect((res.errors![0]!.extensions!.fields as Array<{ field: string }>).map((e) => e.field)).toEqual(fields);
    }
    expect(await tableCounts(f)).toEqual(counts);
  });
});

describe('validatePaymentToken', () => {
  it('tells the sandbox tokens from anything else', async () => {
    for (const token of ['tok_visa', 'tok_mastercard', 'tok_chargeDeclined', 'tok_insufficientFunds', 'tok_flaky', 'tok_flakyCapture']) {
      const res = await f.internal(VALIDATE_TOKEN, { token });
      expect(res.data).toEqual({ validatePaymentToken: true });
    }
    for (const token of ['tok_unknown', '', 'TOK_VISA', 'constructor']) {
      const res = await f.internal(VALIDATE_TOKEN, { token });
      expect(res.data).toEqual({ validatePaymentToken: false });
    }
  });
});
