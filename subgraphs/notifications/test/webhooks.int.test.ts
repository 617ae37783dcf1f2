import { createHmac } from 'node:crypto';
import { gql } from '@shopgraph/kit/testing';
import { drizzle } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/db/schema.ts';
import { SecretBox } from '../src/services/secret-box.ts';
import { WebhooksService } from '../src/services/webhooks.service.ts';
import {
  type Customer,
  deliveriesOf,
  newCustomer,
  newProduct,
  type NotificationsFixture,
  placeOrder,
  publish,
  startNotifications,
  startReceiver,
  statusEvent,
  waitForDeliveries,
  waitForOrder,
} from './helpers.ts';

/** Signed webhooks against local HTTP receivers: retries with backoff, the dead-letter state, resends, bad input. */

const CREATE = 'mutation($url: String!, $events: [String!]!) { createWebhookEndpoint(url: $url, events: $events) { secret endpoint { id url events createdAt } } }';
const DELIVERIES =
  'query($filter: NotificationDeliveryFilter) { notificationDeliveries(first: 100, filter: $filter) { edges { node { id channel eventType status attempts lastError recipient sentAt } } pageInfo { hasNextPage } } }';

let f: NotificationsFixture;
let customer: Customer;
let order: { id: string; number: string };
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver(() => 200);
  f = await startNotifications();
  customer = await newCustomer(f);
  const productId = await newProduct(f, { name: 'Linen Shirt' });
  order = await placeOrder(f, customer, [{ productId, quantity: 1 }]);
  await waitForOrder(f, order.id, ['FULFILLING']);
});
afterAll(async () => {
  await f?.stop();
  await receiver?.stop();
});

async function createEndpoint(path: string, events: string[]) {
  const res = await gql(f.stack.url, CREATE, { url: `${receiver.url}${path}`, events }, { token: f.admin });
  expect(res.errors).toBeUndefined();
  return res.data!.createWebhookEndpoint as { secret: string; endpoint: { id: string; url: string; events: string[] } };
}

describe('webhook delivery', () => {
  it('retries a failing endpoint with backoff: 500 three times, then 200 → delivered once, 4 attempts logged', async () => {
    const { secret, endpoint } = await createEndpoint('/flaky', ['order.refunded']);
    let calls = 0;
    receiver.respond = (request) => (request.url === '/flaky' ? (++calls <= 3 ? 500 : 200) : 200);
    const event = statusEvent(order, customer.id, 'REFUNDED', 'Damaged in transit');
    await publish(f, event);
    const [row] = await waitForDeliveries(f, event.eventId, ['SENT'], 1, 'WEBHOOK');
    expect(row).toMatchObject({ channel: 'WEBHOOK', status: 'SENT', attempts: 4, recipient: endpoint.url });
    const attempts = await f.sql`select attempt, ok, error from notification_delivery_attempts where delivery_id = ${row!.id} order by attempt`;
    expect(attempts.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(attempts[0]!.error).toBe('Webhook endpoint answered HTTP 500');

    const requests = receiver.requests.filter((r) => r.url === '/flaky');
    expect(requests).toHaveLength(4);
    for (const request of requests) {
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers['x-shopgraph-event-id']).toBe(event.eventId);
      const timestamp = request.headers['x-shopgraph-timestamp'] as string;
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(120);
      const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`;
      expect(request.headers['x-shopgraph-signature']).toBe(expected);
    }
    const body = JSON.parse(requests[3]!.body);
    expect(body).toMatchObject({ id: event.eventId, type: 'order.refunded', createdAt: event.at });
    expect(body.data).toMatchObject({ orderId: order.id, orderNumber: order.number, status: 'REFUNDED', reason: 'Damaged in transit', items: [{ name: 'Linen Shirt', quantity: 1 }] });
    expect(body.data.total.formatted).toMatch(/^€/);
    // The secret is stored encrypted, never in the clear.
    const stored = await f.sql`select secret_ciphertext from webhook_endpoints where id = ${endpoint.id}`;
    expect(stored[0]!.secret_ciphertext).not.toContain(secret);
  });

  it('leaves a delivery DEAD after the last attempt, visible in notificationDeliveries, and an admin can resend it', async () => {
    await createEndpoint('/down', ['order.delivered']);
    receiver.respond = (request) => (request.url === '/down' ? 503 : 200);
    const event = statusEvent(order, customer.id, 'DELIVERED');
    await publish(f, event);
    const [dead] = await waitForDeliveries(f, event.eventId, ['DEAD'], 1, 'WEBHOOK');
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 6, last_error: 'Webhook endpoint answered HTTP 503' });

    const listed = await gql(f.stack.url, DELIVERIES, { filter: { status: 'DEAD', channel: 'WEBHOOK', orderId: order.id } }, { token: f.admin });
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.notificationDeliveries.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([dead!.id]);
    expect(listed.data!.notificationDeliveries.edges[0].node).toMatchObject({ eventType: 'order.delivered', attempts: 6, sentAt: null });

    receiver.respond = () => 200;
    const resent = await gql(f.stack.url, 'mutation($id: ID!) { resendNotification(id: $id) { id status attempts } }', { id: dead!.id }, { token: f.admin });
    expect(resent.errors).toBeUndefined();
    expect(resent.data!.resendNotification).toMatchObject({ id: dead!.id, status: 'PENDING', attempts: 6 });
    const [sent] = await waitForDeliveries(f, event.eventId, ['SENT'], 1, 'WEBHOOK');
    expect(sent).toMatchObject({ status: 'SENT', attempts: 7 });
    expect(receiver.requests.filter((r) => r.url === '/down')).toHaveLength(7);

    const again = await gql(f.stack.url, 'mutation($id: ID!) { resendNotification(id: $id) { id } }', { id: dead!.id }, { token: f.admin });
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const missing = await gql(f.stack.url, 'mutation { resendNotification(id: "00000000-0000-4000-8000-000000000000") { id } }', {}, { token: f.admin });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('stops delivering to a deleted endpoint', async () => {
    const { endpoint } = await createEndpoint('/gone', ['order.cancelled']);
    const list = await gql(f.stack.url, 'query { webhookEndpoints { id url events } }', {}, { token: f.admin });
    expect(list.data!.webhookEndpoints).toContainEqual({ id: endpoint.id, url: endpoint.url, events: ['order.cancelled'] });
    const deleted = await gql(f.stack.url, 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: endpoint.id }, { token: f.admin });
    expect(deleted.data!.deleteWebhookEndpoint).toBe(true);
    expect((await gql(f.stack.url, 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }', { id: endpoint.id }, { token: f.admin })).data!.deleteWebhookEndpoint).toBe(false);
    const event = statusEvent(order, customer.id, 'CANCELLED');
    await publish(f, event);
    const rows = await waitForDeliveries(f, event.eventId, ['SENT']);
    expect(rows.map((r) => r.channel)).toEqual(['EMAIL']);
    expect(receiver.requests.filter((r) => r.url === '/gone')).toHaveLength(0);
  });

  it('pages through the delivery log', async () => {
    const first = await gql(f.stack.url, 'query { notificationDeliveries(first: 2) { edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }', {}, { token: f.admin });
    expect(first.data!.notificationDeliveries.pageInfo.hasNextPage).toBe(true);
    const next = await gql(f.stack.url, 'query($after: String) { notificationDeliveries(first: 2, after: $after) { edges { node { id } } } }', { after: first.data!.notificationDeliveries.pageInfo.endCursor }, { token: f.admin });
    const ids = first.data!.notificationDeliveries.edges.map((e: { node: { id: string } }) => e.node.id);
    for (const edge of next.data!.notificationDeliveries.edges) expect(ids).not.toContain(edge.node.id);
    const tooMany = await gql(f.stack.url, 'query { notificationDeliveries(first: 101) { edges { cursor } } }', {}, { token: f.admin });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('bad input and access', () => {
  const cases: Array<[string, string, string[], RegExp]> = [
    ['not http(s)', 'ftp://example.com/hook', ['order.paid'], /url: must use http or https/],
    ['javascript', 'javascript:alert(1)', ['order.paid'], /url: must use http or https/],
    ['metadata address', 'http://169.254.169.254/latest/meta-data', ['order.paid'], /url: 169\.254\.169\.254 is a link-local/],
    ['not a URL', 'hooks.example.com', ['order.paid'], /url: must be an absolute http\(s\) URL/],
    ['no events', 'https://hooks.example.com/x', [], /events: must name at least one event type/],
    ['unknown event', 'https://hooks.example.com/x', ['order.paid', 'order.exploded'], /events: unknown event type "order.exploded"/],
  ];
  for (const [name, url, events, message] of cases) {
    it(`refuses a webhook endpoint: ${name}`, async () => {
      const before = await f.sql`select count(*)::int as n from webhook_endpoints`;
      const res = await gql(f.stack.url, CREATE, { url, events }, { token: f.admin });
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.message).toMatch(message);
      expect(await f.sql`select count(*)::int as n from webhook_endpoints`).toEqual(before);
    });
  }

  it('reads the subscribed endpoints once per time-to-live, not once per event', async () => {
    const webhooks = new WebhooksService(drizzle(f.sql, { schema }), new SecretBox('x'.repeat(32)), { allowPrivate: true, allowLinkLocal: false }, 60_000);
    const ids = async () => (await webhooks.subscribers('order.delivered')).map((e) => e.id).sort();
    const before = await ids();
    const [added] = await f.sql`insert into webhook_endpoints (url, events, secret_ciphertext) values (${`${receiver.url}/ttl-probe`}, ${['order.delivered']}, 'sealed') returning id`;
    try {
      // Within the time-to-live the list is the one read before: the endpoint added behind its back is not in it.
      expect(await ids()).toEqual(before);
      expect(await ids()).toEqual(before);
      // A change made through the service is seen at once.
      await webhooks.delete(added!.id as string);
      const { endpoint } = await webhooks.create(`${receiver.url}/ttl-probe-2`, ['order.delivered']);
      expect(await ids()).toEqual([...before, endpoint.id].sort());
      await webhooks.delete(endpoint.id);
    } finally {
      await f.sql`update webhook_endpoints set deleted_at = now() where url like ${`${receiver.url}/ttl-probe%`}`;
    }
  });

  it('lists the event types', async () => {
    const res = await gql(f.stack.url, 'query { webhookEventTypes }');
    expect(res.data!.webhookEventTypes).toContain('order.shipped');
  });

  it('keeps admin operations to admins', async () => {
    const operations: Array<[string, Record<string, unknown>]> = [
      [CREATE, { url: 'https://hooks.example.com/x', events: ['order.paid'] }],
      ['query { webhookEndpoints { id } }', {}],
      [DELIVERIES, {}],
      ['mutation { resendNotification(id: "00000000-0000-4000-8000-000000000000") { id } }', {}],
      ['mutation { deleteWebhookEndpoint(id: "00000000-0000-4000-8000-000000000000") }', {}],
    ];
    for (const [query, variables] of operations) {
      expect((await gql(f.stack.url, query, variables, { token: customer.token })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await gql(f.stack.url, query, variables)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(await deliveriesOf(f, '00000000-0000-4000-8000-000000000000')).toEqual([]);
  });
});
