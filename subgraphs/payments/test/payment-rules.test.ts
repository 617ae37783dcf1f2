import { describe, expect, it } from 'vitest';
import { refundKey, requestKeyOf, statusAfterRefund, stepKey, wasCaptured } from '../src/services/payment-rules.ts';

describe('payment rules', () => {
  it('derives provider idempotency keys from the order, so a re-run repeats the same call', () => {
    expect(stepKey('8d0c6f4e-0000-4000-8000-000000000001', 'capture')).toBe('8d0c6f4e-0000-4000-8000-000000000001:capture');
    expect(refundKey('8d0c6f4e-0000-4000-8000-000000000001', 2)).toBe('8d0c6f4e-0000-4000-8000-000000000001:refund:2');
  });

  it('tells a repeated capture request from a different one', () => {
    const request = { customerId: 'A1B2C3D4-0000-4000-8000-000000000000', amount: 2500, currency: 'EUR', paymentToken: 'tok_visa' };
    expect(requestKeyOf(request)).toBe(requestKeyOf({ ...request, customerId: request.customerId.toLowerCase() }));
    for (const changed of [{ amount: 2501 }, { currency: 'USD' }, { paymentToken: 'tok_mastercard' }, { customerId: 'a1b2c3d4-0000-4000-8000-000000000001' }]) {
      expect(requestKeyOf({ ...request, ...changed })).not.toBe(requestKeyOf(request));
    }
  });

  it('is REFUNDED once everything captured is back, PARTIALLY_REFUNDED before', () => {
    expect(statusAfterRefund(1000, 1)).toBe('PARTIALLY_REFUNDED');
    expect(statusAfterRefund(1000, 999)).toBe('PARTIALLY_REFUNDED');
    expect(statusAfterRefund(1000, 1000)).toBe('REFUNDED');
  });

  it('counts refunded payments as captured, and nothing before capture', () => {
    expect(['CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED'].every((s) => wasCaptured(s as never))).toBe(true);
    expect(['PENDING', 'AUTHORIZED', 'DECLINED', 'VOIDED'].some((s) => wasCaptured(s as never))).toBe(false);
  });
});
