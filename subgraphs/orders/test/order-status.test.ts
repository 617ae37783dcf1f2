import { describe, expect, it } from 'vitest';
import { ORDER_STATUSES } from '../src/db/schema.ts';
import { orderIdOf, uuidV5 } from '../src/services/checkout.service.ts';
import { cancellationOf, canTransition, isFinal, TRANSITIONS } from '../src/services/order-status.ts';

describe('order status transitions', () => {
  it('allows exactly the life cycle of DESIGN.md section 5', () => {
    const allowed = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`));
    expect(allowed.sort()).toEqual(
      [
        'PENDING->RESERVED',
        'PENDING->REJECTED',
        'PENDING->CANCELLED',
        'RESERVED->PAID',
        'RESERVED->PAYMENT_FAILED',
        'RESERVED->CANCELLED',
        'PAID->FULFILLING',
        'PAID->REFUNDED',
        'FULFILLING->SHIPPED',
        'FULFILLING->REFUNDED',
        'SHIPPED->DELIVERED',
        'SHIPPED->REFUNDED',
        'DELIVERED->REFUNDED',
      ].sort(),
    );
  });

  it('never goes back, and final statuses go nowhere', () => {
    expect(canTransition('DELIVERED', 'PAID')).toBe(false);
    expect(canTransition('PAID', 'RESERVED')).toBe(false);
    expect(canTransition('PENDING', 'PENDING')).toBe(false);
    for (const status of ['CANCELLED', 'REJECTED', 'PAYMENT_FAILED', 'REFUNDED'] as const) expect(isFinal(status)).toBe(true);
    // A delivered order can still be refunded in full by an admin.
    expect(isFinal('DELIVERED')).toBe(false);
    expect(canTransition('DELIVERED', 'REFUNDED')).toBe(true);
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...ORDER_STATUSES].sort());
  });

  it('cancels before payment, refunds after, and refuses once shipped', () => {
    expect(cancellationOf('PENDING')).toBe('CANCELLED');
    expect(cancellationOf('RESERVED')).toBe('CANCELLED');
    expect(cancellationOf('PAID')).toBe('REFUNDED');
    expect(cancellationOf('FULFILLING')).toBe('REFUNDED');
    expect(cancellationOf('SHIPPED')).toBeNull();
    expect(cancellationOf('DELIVERED')).toBeNull();
  });
});

describe('order ids', () => {
  it('are UUID v5: deterministic per customer and idempotency key', () => {
    // RFC 9562 test vector: the DNS namespace and "www.example.com".
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    const customer = '3f0a1b2c-0000-4000-8000-000000000001';
    expect(orderIdOf(customer, 'key-1')).toBe(orderIdOf(customer, 'key-1'));
    expect(orderIdOf(customer, 'key-1')).not.toBe(orderIdOf(customer, 'key-2'));
    expect(orderIdOf(customer, 'key-1')).not.toBe(orderIdOf('3f0a1b2c-0000-4000-8000-000000000002', 'key-1'));
    expect(orderIdOf(customer, 'key-1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
