import { randomUUID } from 'node:crypto';
import { PDFParse } from 'pdf-parse';
import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink } from '../src/dev/smtp-sink.ts';
import {
  ADDRESS,
  type Customer,
  deliveriesOf,
  eventually,
  mails,
  moveShipment,
  newCustomer,
  newProduct,
  type NotificationsFixture,
  placeOrder,
  publish,
  startNotifications,
  startReceiver,
  statusEvent,
  waitForDeliveries,
  waitForMail,
  waitForSubject,
  waitForOrder,
} from './helpers.ts';

/**
 * Emails and SMS from real order events, against a real SMTP server and a local Twilio-style SMS provider:
 * the end-to-end checkout mails, exactly-once delivery of redelivered events, an SMTP outage, preferences.
 */

let f: NotificationsFixture;
let sms: Awaited<ReturnType<typeof startReceiver>>;
let customer: Customer;
let order: { id: string; number: string; total: { formatted: string } };

beforeAll(async () => {
  sms = await startReceiver(() => 201);
  f = await startNotifications({
    env: { SMS_API_URL: sms.url, SMS_ACCOUNT_SID: 'AC123', SMS_AUTH_TOKEN: 'sms-token', SMS_FROM: '+15005550006' },
  });
  customer = await newCustomer(f);
});
afterAll(async () => {
  await f?.stop();
  await sms?.stop();
});

describe('checkout emails (end to end through the router)', () => {
  it('sends "placed" and "paid" emails with the order number, product names and formatted totals', async () => {
    const scarf = await newProduct(f, { name: 'Merino Scarf', price: 2_450 });
    const mug = await newProduct(f, { name: 'Stoneware Mug', price: 1_299 });
    order = await placeOrder(f, customer, [
      { productId: scarf, quantity: 2 },
      { productId: mug, quantity: 1 },
    ]);
    expect(await waitForOrder(f, order.id, ['FULFILLING'])).toBe('FULFILLING');
    const received = await waitForMail(f.smtp, customer.email, 2);
    const subjects = received.map((m) => m.subject);
    expect(subjects).toEqual(expect.arrayContaining([`We received your order ${order.number}`, `Payment confirmed for order ${order.number}`]));
    // The payment confirmation carries the invoice payments issued, as a PDF; the order confirmation nothing.
    const paid = received.find((m) => m.subject === `Payment confirmed for order ${order.number}`)!;
    expect(paid.attachments.map((a) => [a.contentType, a.filename])).toEqual([['application/pdf', expect.stringMatching(/^INV-\d{4}-\d{6}\.pdf$/)]]);
    const pdf = new PDFParse({ data: new Uint8Array(paid.attachments[0]!.content) });
    const text = (await pdf.getText()).text;
    await pdf.destroy();
    for (const expected of ['INVOICE', order.number, 'Merino Scarf', 'Stoneware Mug', '€49.00', 'Ada Lovelace', 'Total paid']) expect(text).toContain(expected);
    expect(received.find((m) => m.subject === `We received your order ${order.number}`)!.attachments).toEqual([]);
    for (const mail of received) {
      expect(mail.text).toContain(order.number);
      expect(mail.text).toContain('2 x Merino Scarf');
      expect(mail.text).toContain('€49.00');
      expect(mail.text).toContain('€12.99');
      expect(mail.text).toContain(order.total.formatted);
      expect(mail.text).toContain('Hauptstraße 1');
      expect(mail.html).toContain('Merino Scarf');
      expect(mail.html).toContain(order.total.formatted);
      expect(mail.messageId).toMatch(/^<[0-9a-f-]{36}@shopgraph\.local>$/);
    }
    // RESERVED and FULFILLING are internal steps: nobody is mailed about them.
    expect(await mails(f.smtp, customer.email)).toHaveLength(2);
    const log = await gql(
      f.stack.url,
      'query($orderId: ID!) { notificationDeliveries(filter: { orderId: $orderId, channel: EMAIL }) { edges { node { channel eventType orderId recipient status attempts lastError sentAt } } } }',
      { orderId: order.id },
      { token: f.admin },
    );
    expect(log.errors).toBeUndefined();
    expect(log.data!.notificationDeliveries.edges.map((e: { node: { eventType: string } }) => e.node.eventType).sort()).toEqual(['order.paid', 'order.placed']);
    for (const { node } of log.data!.notificationDeliveries.edges) expect(node).toMatchObject({ channel: 'EMAIL', recipient: customer.email, status: 'SENT', attempts: 1, lastError: null });
  });

  it('mails the tracking number when the order ships, and again when it is delivered', async () => {
    const shipment = await gql(f.stack.url, 'query($id: ID!) { order(id: $id) { shipment { id trackingNumber } } }', { id: order.id }, { token: f.admin });
    const { id: shipmentId, trackingNumber } = shipment.data!.order.shipment;
    for (const status of ['IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED']) await moveShipment(f, shipmentId, status);
    const [shipped] = await waitForSubject(f.smtp, customer.email, `Order ${order.number} is on its way`);
    expect(shipped?.text).toContain(`Tracking number: ${trackingNumber}`);
    expect(await waitForSubject(f.smtp, customer.email, `Order ${order.number} was delivered`)).toHaveLength(1);
    // OUT_FOR_DELIVERY keeps the order SHIPPED: one shipped email.
    expect(await waitForSubject(f.smtp, customer.email, `Order ${order.number} is on its way`)).toHaveLength(1);
  });

  it('escapes HTML in product names and addresses', async () => {
    const evil = await newProduct(f, { name: '<script>alert("x")</script> Scarf' });
    const placed = await placeOrder(f, customer, [{ productId: evil, quantity: 1 }], {
      recipientName: '<b>Mallory</b>',
      line1: '<img src=x onerror=alert(1)>',
      city: 'Berlin',
      postalCode: '10115',
      country: 'DE',
    });
    const [mail] = await waitForSubject(f.smtp, customer.email, `We received your order ${placed.number}`);
    expect(mail).toBeDefined();
    expect(mail!.html).not.toContain('<script>');
    expect(mail!.html).not.toContain('<img');
    expect(mail!.html).not.toContain('<b>Mallory');
    expect(mail!.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Scarf');
    expect(mail!.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The plain-text part is text: it carries the name as it is.
    expect(mail!.text).toContain('<script>alert("x")</script> Scarf');
    await waitForOrder(f, placed.id, ['FULFILLING']);
  });
});

describe('exactly once in effect', () => {
  it('sends one email when the same event reaches the worker twice, or concurrently', async () => {
    const event = statusEvent(order, customer.id, 'CANCELLED', 'Testing redelivery');
    await publish(f, event);
    const [first] = await waitForDeliveries(f, event.eventId, ['SENT']);
    // At-least-once queues: the same event again (as a new job, the first one is done), and twice at once.
    await publish(f, event, `${event.eventId}-again`);
    await Promise.all([f.notifications.planner.handle(event), f.notifications.planner.handle(event)]);
    // And the delivery job itself once more.
    expect(await f.notifications.dispatcher.dispatch(first!.id, false)).toBe('already-sent');
    await eventually(
      async () => (await f.orderStatus.getJobState(`${event.eventId}-again`)) as string,
      (state) => state === 'completed',
    );
    const rows = await deliveriesOf(f, event.eventId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'SENT', attempts: 1 });
    const cancelled = (await mails(f.smtp, customer.email)).filter((m) => m.subject === `Order ${order.number} was cancelled`);
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0]!.text).toContain('Testing redelivery');
    expect((await mails(f.smtp)).filter((m) => m.messageId === `<${first!.id}@shopgraph.local>`)).toHaveLength(1);
  });
});

describe('planning in batches', () => {
  it('plans events handled together as one batch, each with its own outcome, and sends each email once', async () => {
    const fresh = statusEvent(order, customer.id, 'DELIVERED');
    const processed = statusEvent(order, customer.id, 'CANCELLED', 'Planned before the batch');
    await f.notifications.planner.handle(processed);
    const unknown = statusEvent({ id: randomUUID(), number: 'SG-UNKNOWN' }, customer.id, 'SHIPPED');
    const internal = statusEvent(order, customer.id, 'FULFILLING');
    const outcomes = await Promise.all([fresh, fresh, processed, unknown, internal].map((event) => f.notifications.planner.handle(event)));
    expect(outcomes).toEqual(['planned', 'planned', 'duplicate', 'unknown-order', 'ignored']);
    const [sent] = await waitForDeliveries(f, fresh.eventId, ['SENT']);
    expect(sent).toMatchObject({ channel: 'EMAIL', status: 'SENT', attempts: 1 });
    expect(await deliveriesOf(f, fresh.eventId)).toHaveLength(1);
    expect(await deliveriesOf(f, unknown.eventId)).toEqual([]);
    expect((await f.sql`select event_id from processed_events where event_id = ${unknown.eventId}`).length).toBe(1);
    expect((await f.sql`select event_id from processed_events where event_id = ${internal.eventId}`).length).toBe(0);
    await waitForDeliveries(f, processed.eventId, ['SENT']);
    const delivered = (await mails(f.smtp, customer.email)).filter((m) => m.subject?.includes(order.number) && m.messageId === `<${sent!.id}@shopgraph.local>`);
    expect(delivered).toHaveLength(1);
  });
});

describe('the order an event carries', () => {
  it('is what the email shows, without asking orders (which does not know this order)', async () => {
    const event = {
      ...statusEvent({ id: randomUUID(), number: 'SG-SNAPSHOT' }, customer.id, 'DELIVERED'),
      order: {
        currency: 'EUR',
        subtotal: 2_500,
        discount: 0,
        shippingCost: 490,
        total: 2_990,
        placedAt: new Date().toISOString(),
        shippingAddress: { ...ADDRESS, line2: null, region: null },
        items: [{ productId: randomUUID(), productName: 'Snapshot teapot', sku: 'SNAP-1', quantity: 2, unitPrice: 1_250, lineTotal: 2_500 }],
      },
    };
    expect(await f.notifications.planner.handle(event)).toBe('planned');
    await waitForDeliveries(f, event.eventId, ['SENT']);
    const [mail] = await waitForSubject(f.smtp, customer.email, 'Order SG-SNAPSHOT was delivered');
    expect(mail!.text).toContain('Snapshot teapot');
    expect(mail!.text).toContain('€29.90');
    // Without the snapshot, the same unknown order makes no email.
    const bare = statusEvent({ id: randomUUID(), number: 'SG-BARE' }, customer.id, 'DELIVERED');
    expect(await f.notifications.planner.handle(bare)).toBe('unknown-order');
  });
});

describe('the emails of events planned together', () => {
  const batchJobOf = async (deliveryId: string) => {
    const jobs = await f.notifications.queue.queue.getJobs(['completed', 'active', 'waiting', 'delayed']);
    return jobs.find((job) => 'deliveryIds' in job.data && job.data.deliveryIds.includes(deliveryId));
  };
  const messageIds = async () => (await mails(f.smtp)).map((m) => m.messageId);

  it('go out as one delivery job, each sent once', async () => {
    const events = (['SHIPPED', 'DELIVERED', 'CANCELLED'] as const).map((status) => statusEvent(order, customer.id, status, 'Planned together'));
    expect(await Promise.all(events.map((event) => f.notifications.planner.handle(event)))).toEqual(['planned', 'planned', 'planned']);
    const sent = await Promise.all(events.map(async (event) => (await waitForDeliveries(f, event.eventId, ['SENT']))[0]!));
    expect(sent.map((row) => ({ status: row.status, attempts: row.attempts }))).toEqual(Array(3).fill({ status: 'SENT', attempts: 1 }));
    const job = await batchJobOf(sent[0]!.id);
    expect(job?.id).toMatch(/^batch-/);
    expect([...(job!.data as { deliveryIds: string[] }).deliveryIds].sort()).toEqual(sent.map((row) => row.id).sort());
    // No job of their own: the batch sent them.
    for (const row of sent) expect(await f.notifications.queue.queue.getJob(row.id)).toBeUndefined();
    const received = await messageIds();
    for (const row of sent) expect(received.filter((id) => id === `<${row.id}@shopgraph.local>`)).toHaveLength(1);
  });

  it('go on one job each when their send fails, from the second attempt, and arrive once', async () => {
    const port = f.smtp.port;
    await f.smtp.stop();
    const events = (['SHIPPED', 'REFUNDED'] as const).map((status) => statusEvent(order, customer.id, status, 'SMTP away'));
    expect(await Promise.all(events.map((event) => f.notifications.planner.handle(event)))).toEqual(['planned', 'planned']);
    const failed = await Promise.all(events.map(async (event) => (await waitForDeliveries(f, event.eventId, ['FAILED']))[0]!));
    expect(failed.map((row) => row.status)).toEqual(['FAILED', 'FAILED']);
    expect(await batchJobOf(failed[0]!.id)).toBeDefined();
    const restarted = await startSmtpSink({ port });
    try {
      const sent = await Promise.all(events.map(async (event) => (await waitForDeliveries(f, event.eventId, ['SENT']))[0]!));
      for (const row of sent) {
        expect(row.attempts).toBeGreaterThanOrEqual(2);
        // Its own job, which has the attempts the batch left (FAST_RETRIES: 6 in all).
        expect((await f.notifications.queue.queue.getJob(row.id))?.opts.attempts).toBe(5);
        const attempts = await f.sql`select ok from notification_delivery_attempts where delivery_id = ${row.id} order by attempt`;
        expect(attempts.map((a) => a.ok)).toEqual([...Array(row.attempts - 1).fill(false), true]);
      }
      const received = (await mails(restarted)).map((m) => m.messageId);
      for (const row of sent) expect(received.filter((id) => id === `<${row.id}@shopgraph.local>`)).toHaveLength(1);
    } finally {
      // The fixture's sink is the one the tests after this read and stop: from now on, that is the new one.
      f.smtp.messages.push(...restarted.messages);
      restarted.messages = f.smtp.messages;
      f.smtp.stop = () => restarted.stop();
    }
  });
});

describe('SMTP outage', () => {
  it('delays mail while the SMTP server is down and delivers it once when it is back', async () => {
    const port = f.smtp.port;
    await f.smtp.stop();
    const event = statusEvent(order, customer.id, 'REFUNDED', 'Changed my mind');
    await publish(f, event);
    const failing = await waitForDeliveries(f, event.eventId, ['FAILED'], 1);
    expect(failing[0]).toMatchObject({ status: 'FAILED' });
    expect(failing[0]!.last_error).toMatch(/ECONNREFUSED|connect/i);
    const restarted = await startSmtpSink({ port });
    try {
      const [sent] = await waitForDeliveries(f, event.eventId, ['SENT']);
      expect(sent!.attempts).toBeGreaterThanOrEqual(2);
      const received = await mails(restarted, customer.email);
      expect(received.map((m) => m.subject)).toEqual([`Order ${order.number} was refunded`]);
      const attempts = await f.sql`select attempt, ok from notification_delivery_attempts where delivery_id = ${sent!.id} order by attempt`;
      expect(attempts.map((a) => a.ok)).toEqual([...Array(sent!.attempts - 1).fill(false), true]);
    } finally {
      // The fixture stops its own sink: hand it the new one.
      f.smtp.messages.push(...restarted.messages);
      f.smtp.stop = () => restarted.stop();
    }
  });
});

describe('preferences', () => {
  const PREFS = 'query { me { id notificationPreferences { email sms orderUpdates marketing phoneNumber } } }';
  const UPDATE = 'mutation($input: UpdateNotificationPreferencesInput!) { updateNotificationPreferences(input: $input) { email sms orderUpdates marketing phoneNumber } }';

  it('has defaults, validates phone numbers, and sends SMS once enabled', async () => {
    const ada = await newCustomer(f);
    const me = await gql(f.stack.url, PREFS, {}, { token: ada.token });
    expect(me.data!.me.notificationPreferences).toEqual({ email: true, sms: false, orderUpdates: true, marketing: false, phoneNumber: null });

    const bad = await gql(f.stack.url, UPDATE, { input: { phoneNumber: '0151 1234' } }, { token: ada.token });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const noPhone = await gql(f.stack.url, UPDATE, { input: { sms: true } }, { token: ada.token });
    expect(noPhone.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await gql(f.stack.url, UPDATE, { input: { sms: false } });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const ok = await gql(f.stack.url, UPDATE, { input: { sms: true, phoneNumber: '+49 151 1234 5678' } }, { token: ada.token });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.updateNotificationPreferences).toEqual({ email: true, sms: true, orderUpdates: true, marketing: false, phoneNumber: '+4915112345678' });

    const event = statusEvent(order, ada.id, 'PAYMENT_FAILED', 'card_declined');
    await publish(f, event);
    const rows = await waitForDeliveries(f, event.eventId, ['SENT'], 2);
    expect(rows.map((r) => r.channel)).toEqual(['EMAIL', 'SMS']);
    const request = sms.requests.find((r) => new URLSearchParams(r.body).get('To') === '+4915112345678');
    expect(request).toBeDefined();
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/2010-04-01/Accounts/AC123/Messages.json');
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from('AC123:sms-token').toString('base64')}`);
    const form = new URLSearchParams(request!.body);
    expect(form.get('From')).toBe('+15005550006');
    expect(form.get('Body')).toContain(`payment for order ${order.number} failed`);
  });

  it('stops order emails only when the customer turns them off, and hides preferences from others', async () => {
    const bob = await newCustomer(f, 'Bob');
    const off = await gql(f.stack.url, UPDATE, { input: { orderUpdates: false } }, { token: bob.token });
    expect(off.data!.updateNotificationPreferences).toMatchObject({ email: true, orderUpdates: false });
    const event = statusEvent(order, bob.id, 'PAID');
    await publish(f, event);
    await eventually(async () => (await f.orderStatus.getJobState(event.eventId)) as string, (s) => s === 'completed');
    expect(await deliveriesOf(f, event.eventId)).toEqual([]);

    // Someone else's preferences: refused (through the router, a user reference to another id).
    const eve = await newCustomer(f, 'Eve');
    const peek = await gql(f.stack.url, 'query($id: ID!) { user(id: $id) { notificationPreferences { email } } }', { id: bob.id }, { token: eve.token });
    expect(peek.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await gql(f.stack.url, 'query($id: ID!) { user(id: $id) { notificationPreferences { orderUpdates } } }', { id: bob.id }, { token: f.admin });
    expect(admin.data!.user.notificationPreferences).toEqual({ orderUpdates: false });
  });
});

describe('readiness', () => {
  it('reports Redis eviction policy along with storage', async () => {
    const res = await fetch(`${f.stack.subgraphs.notifications!.origin}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', redisEviction: 'ok' } });
  });
});
