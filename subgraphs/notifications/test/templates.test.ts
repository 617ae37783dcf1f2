import { ORDER_STATUS_INTERESTS, type OrderStatus } from '@shopgraph/kit';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventTypeOf } from '../src/services/event-types.ts';
import { type OrderView, render, renderEmail, renderSms } from '../src/services/templates.ts';

const view: OrderView = {
  customerName: 'Ada <Lovelace>',
  orderNumber: 'SG-000042',
  reason: null,
  carrier: 'DHL',
  trackingNumber: 'JD0001',
  lines: [
    { name: '<script>alert(1)</script>', sku: 'SKU-1', quantity: 2, unitPrice: '€10.00', lineTotal: '€20.00' },
    { name: 'Tea & "Biscuits"', sku: 'SKU-2', quantity: 1, unitPrice: '€3.50', lineTotal: '€3.50' },
  ],
  subtotal: '€23.50',
  discount: '€0.00',
  hasDiscount: false,
  shippingCost: '€4.90',
  total: '€28.40',
  address: { recipientName: null, line1: '<img src=x onerror=alert(1)>', line2: null, city: 'Berlin', region: null, postalCode: '10115', country: 'DE' },
};

describe('templates', () => {
  it('has wording for every event type, and maps order statuses to them', () => {
    for (const type of EVENT_TYPES) expect(renderEmail(type, view).subject).toContain('SG-000042');
    expect(eventTypeOf('PENDING')).toBe('order.placed');
    expect(eventTypeOf('PAID')).toBe('order.paid');
    expect(eventTypeOf('SHIPPED')).toBe('order.shipped');
    expect(eventTypeOf('RESERVED')).toBeNull();
    expect(eventTypeOf('FULFILLING')).toBeNull();
  });

  it('is sent the order statuses it tells people about, and only those', () => {
    // Every status, or this does not compile.
    const statuses: Record<OrderStatus, true> = { PENDING: true, RESERVED: true, PAID: true, FULFILLING: true, SHIPPED: true, DELIVERED: true, CANCELLED: true, REJECTED: true, PAYMENT_FAILED: true, REFUNDED: true };
    const told = Object.keys(statuses).filter((status) => eventTypeOf(status as OrderStatus) !== null);
    expect([...ORDER_STATUS_INTERESTS.notifications].sort()).toEqual(told.sort());
  });

  it('escapes every value in HTML and leaves plain text alone', () => {
    const email = renderEmail('order.shipped', view);
    expect(email.html).not.toMatch(/<script|<img|<Lovelace/);
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.html).toContain('Tea &amp; &quot;Biscuits&quot;');
    expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(email.html).toContain('Hello Ada &lt;Lovelace&gt;');
    expect(email.text).toContain('2 x <script>alert(1)</script> (SKU-1) at €10.00   €20.00');
    expect(email.text).toContain('Tracking number: JD0001');
    expect(email.text).toContain('Total      €28.40');
    expect(email.text).not.toContain('Discount');
    expect(email.text).not.toContain('{{');
  });

  it('renders sections, inverted sections and nested values', () => {
    expect(render('{{#items}}[{{name}}]{{/items}}{{^items}}none{{/items}}', { items: [{ name: 'a' }, { name: 'b' }] })).toBe('[a][b]');
    expect(render('{{#items}}[{{name}}]{{/items}}{{^items}}none{{/items}}', { items: [] })).toBe('none');
    expect(render('{{a.b}} {{missing}}!', { a: { b: 1 } })).toBe('1 !');
  });

  it('keeps SMS short and mentions the reason only when there is one', () => {
    expect(renderSms('order.shipped', view)).toBe('shopgraph: order SG-000042 shipped. Tracking: JD0001');
    expect(renderEmail('order.cancelled', { ...view, reason: 'Too late' }).text).toContain('was cancelled (Too late).');
    expect(renderEmail('order.cancelled', view).text).toContain('was cancelled. Nothing');
  });
});
