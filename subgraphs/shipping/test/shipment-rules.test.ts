import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addBusinessDays, canTransition, decideTransition, demoNextStatus, newTrackingNumber, parcelWeight, SHIPMENT_STATUSES } from '../src/services/shipment-rules.ts';
import { verifyCarrierSignature } from '../src/webhooks/signature.ts';
import { ALLOWED } from './documented-moves.ts';

/** The shipment state machine, business days, tracking numbers and webhook signatures, without I/O. */

describe('transitions', () => {
  it('allow exactly the documented moves', () => {
    for (const from of SHIPMENT_STATUSES) {
      for (const to of SHIPMENT_STATUSES) {
        if (from === to) continue;
        expect(canTransition(from, to), `${from} → ${to}`).toBe(ALLOWED.has(`${from}>${to}`));
        const decision = decideTransition({ status: from, voidedAt: null }, to);
        expect(decision === 'apply', `${from} → ${to}`).toBe(ALLOWED.has(`${from}>${to}`));
      }
    }
  });

  it('treat the same status again as a no-op, also when final or voided', () => {
    for (const status of SHIPMENT_STATUSES) {
      expect(decideTransition({ status, voidedAt: null }, status)).toBe('unchanged');
      expect(decideTransition({ status, voidedAt: new Date() }, status)).toBe('unchanged');
    }
  });

  it('never move a voided label', () => {
    for (const to of SHIPMENT_STATUSES.filter((s) => s !== 'LABEL_CREATED')) {
      expect(decideTransition({ status: 'LABEL_CREATED', voidedAt: new Date() }, to)).toEqual({ refused: expect.stringContaining('voided') });
    }
  });

  it('let the demo carrier walk a parcel to DELIVERED and leave exceptions and final parcels alone', () => {
    expect(['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY'].map((s) => demoNextStatus(s as never))).toEqual(['IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']);
    for (const status of ['DELIVERED', 'RETURNED', 'EXCEPTION'] as const) expect(demoNextStatus(status)).toBeNull();
  });
});

describe('addBusinessDays', () => {
  it('skips weekends and keeps the time of day', () => {
    // 2026-01-02 is a Friday.
    expect(addBusinessDays(new Date('2026-01-02T10:30:00Z'), 1).toISOString()).toBe('2026-01-05T10:30:00.000Z');
    expect(addBusinessDays(new Date('2026-01-02T10:30:00Z'), 3).toISOString()).toBe('2026-01-07T10:30:00.000Z');
    expect(addBusinessDays(new Date('2026-01-03T08:00:00Z'), 1).toISOString()).toBe('2026-01-05T08:00:00.000Z');
    expect(addBusinessDays(new Date('2026-01-05T08:00:00Z'), 14).toISOString()).toBe('2026-01-23T08:00:00.000Z');
    expect(addBusinessDays(new Date('2026-01-05T08:00:00Z'), 0).toISOString()).toBe('2026-01-05T08:00:00.000Z');
  });
});

describe('tracking numbers and parcels', () => {
  it('are SG and ten digits', () => {
    const numbers = Array.from({ length: 200 }, newTrackingNumber);
    for (const n of numbers) expect(n).toMatch(/^SG\d{10}$/);
    expect(new Set(numbers).size).toBe(200);
  });

  it('weigh the sum of quantity × unit weight', () => {
    expect(parcelWeight([{ quantity: 2, weightGrams: 400 }, { quantity: 1, weightGrams: 1200 }, { quantity: 5, weightGrams: 0 }])).toBe(2000);
  });
});

describe('verifyCarrierSignature', () => {
  const secret = 'a-secret-of-at-least-thirty-two-characters';
  const body = '{"trackingNumber":"SG0000000001","status":"IN_TRANSIT"}';
  const now = new Date('2026-03-01T12:00:00Z');
  const ts = String(Math.floor(now.getTime() / 1000));
  const sign = (timestamp: string, text = body, key = secret) => `sha256=${createHmac('sha256', key).update(`${timestamp}.${text}`).digest('hex')}`;
  const check = (timestamp: string | undefined, signature: string | undefined, text = body) =>
    verifyCarrierSignature({ secret, timestamp, signature, body: text, toleranceSeconds: 300, now });

  it('accepts the HMAC of timestamp and body, within five minutes either way', () => {
    expect(check(ts, sign(ts))).toBe('valid');
    expect(check(ts, sign(ts).toUpperCase().replace('SHA256=', 'sha256='))).toBe('valid');
    for (const offset of [-300, 300]) expect(check(String(Number(ts) + offset), sign(String(Number(ts) + offset)))).toBe('valid');
  });

  it('refuses a wrong secret, another body or timestamp, stale or future timestamps, missing or malformed headers', () => {
    expect(check(ts, sign(ts, body, 'another-secret-of-thirty-two-characters'))).toBe('mismatch');
    expect(check(ts, sign(ts), `${body} `)).toBe('mismatch');
    expect(check(String(Number(ts) - 1), sign(ts))).toBe('mismatch');
    for (const offset of [-301, 301, -86_400]) expect(check(String(Number(ts) + offset), sign(String(Number(ts) + offset)))).toBe('expired');
    expect(check(undefined, sign(ts))).toBe('missing');
    expect(check(ts, undefined)).toBe('missing');
    expect(check(ts, sign(ts).replace('sha256=', 'sha1='))).toBe('malformed');
    expect(check(ts, sign(ts).slice(0, -2))).toBe('malformed');
    expect(check('12.5', sign('12.5'))).toBe('malformed');
    expect(check(`${ts}x`, sign(ts))).toBe('malformed');
  });
});
