import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OrderStatus, type OrderStatusEvent, orderStatusQueue, queueConnection } from '@shopgraph/kit';
import { gql, testRedisUrl, uniqueName } from '@shopgraph/kit/testing';
import { Queue } from 'bullmq';
import { type ParsedMail, simpleParser } from 'mailparser';
import postgres from 'postgres';
import { expect } from 'vitest';
import { ADDRESS } from '../../../test/support/shop.ts';
import { adminToken, eventually, newUserInput, REGISTER, type StackOptions, startStack, type TestStack } from '../../../test/support/stack.ts';
import { type SmtpSink, startSmtpSink } from '../src/dev/smtp-sink.ts';
import type { NotificationsSubgraph } from '../src/server.ts';

export { eventually };
export { ADDRESS, moveShipment, newProduct, shipmentOf } from '../../../test/support/shop.ts';

/** Small, fast retry settings: every reliability test finishes in seconds. */
export const FAST_RETRIES = { NOTIFY_MAX_ATTEMPTS: '6', NOTIFY_BACKOFF_MS: '50', NOTIFY_BACKOFF_MAX_MS: '400', NOTIFY_LOCK_MS: '1000' };

export interface NotificationsFixture {
  stack: TestStack;
  admin: string;
  prefix: string;
  smtp: SmtpSink;
  notifications: NotificationsSubgraph;
  /** notifications' own database. */
  sql: postgres.Sql;
  /** orders' database, to follow order statuses. */
  ordersSql: postgres.Sql;
  orderStatus: Queue<OrderStatusEvent>;
  stop(): Promise<void>;
}

/**
 * Every subgraph and the router; orders, shipping, payments and notifications share a queue prefix (order
 * events travel from orders to notifications), and notifications mails a real SMTP server on a free port.
 */
export async function startNotifications(options: { env?: Record<string, string>; stack?: StackOptions } = {}): Promise<NotificationsFixture> {
  const prefix = uniqueName('q');
  const smtp = await startSmtpSink();
  const stack = await startStack({
    ...options.stack,
    env: {
      shipping: { QUEUE_PREFIX: prefix },
      payments: { QUEUE_PREFIX: prefix },
      orders: { QUEUE_PREFIX: prefix, CHECKOUT_BACKOFF_MS: '200' },
      notifications: { QUEUE_PREFIX: prefix, SMTP_URL: smtp.url, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', ...FAST_RETRIES, ...options.env },
    },
  });
  const admin = await adminToken(stack);
  const sql = postgres(stack.subgraphs.notifications!.databaseUrl, { max: 2, onnotice: () => {} });
  const ordersSql = postgres(stack.subgraphs.orders!.databaseUrl, { max: 1, onnotice: () => {} });
  const orderStatus = new Queue<OrderStatusEvent>(orderStatusQueue('notifications'), { connection: queueConnection(testRedisUrl()), prefix });
  return {
    stack,
    admin,
    prefix,
    smtp,
    notifications: stack.subgraphs.notifications!.built as NotificationsSubgraph,
    sql,
    ordersSql,
    orderStatus,
    stop: async () => {
      await orderStatus.close();
      await sql.end();
      await ordersSql.end();
      await stack.stop();
      await smtp.stop();
    },
  };
}

export interface Customer {
  id: string;
  email: string;
  token: string;
}

export async function newCustomer(f: NotificationsFixture, name = 'Ada Lovelace'): Promise<Customer> {
  const input = newUserInput({ name });
  const res = await gql(f.stack.url, REGISTER, { input });
  expect(res.errors).toBeUndefined();
  return { id: res.data!.register.user.id, email: res.data!.register.user.email, token: res.data!.register.accessToken };
}

/** Places an order through the router (tok_visa) and returns `{ id, number }`. */
export async function placeOrder(f: NotificationsFixture, customer: Customer, items: Array<{ productId: string; quantity: number }>, address: Record<string, unknown> = ADDRESS) {
  const res = await gql(
    f.stack.url,
    'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id number total { formatted } } }',
    { input: { items, shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
    { token: customer.token },
  );
  expect(res.errors).toBeUndefined();
  return res.data!.placeOrder as { id: string; number: string; total: { formatted: string } };
}

/** Waits until the order (orders' database) has one of `statuses`. */
export async function waitForOrder(f: NotificationsFixture, orderId: string, statuses: string[]): Promise<string> {
  return eventually(async () => ((await f.ordersSql`select status::text from orders where id = ${orderId}`)[0]?.status as string) ?? 'missing', (s) => statuses.includes(s), 30_000);
}

/** An order status event as orders publishes it, with a fresh event id. */
export function statusEvent(order: { id: string; number: string }, customerId: string, status: OrderStatus, reason: string | null = null): OrderStatusEvent {
  return { eventId: randomUUID(), orderId: order.id, orderNumber: order.number, customerId, status, previousStatus: null, sequence: 1, reason, at: new Date().toISOString() };
}

/** Publishes an event on orderStatusQueue('notifications') the way orders' outbox relay does (job id = event id). */
export async function publish(f: NotificationsFixture, event: OrderStatusEvent, jobId = event.eventId): Promise<void> {
  await f.orderStatus.add('order.status-changed', event, { jobId, attempts: 10, backoff: { type: 'exponential', delay: 200 } });
}

export interface DeliveryRecord {
  id: string;
  channel: string;
  event_type: string;
  status: string;
  attempts: number;
  last_error: string | null;
  recipient: string;
}

/** Deliveries of an event, from notifications' database. */
export async function deliveriesOf(f: NotificationsFixture, eventId: string): Promise<DeliveryRecord[]> {
  return (await f.sql`select id, channel::text, event_type, status::text, attempts, last_error, recipient from notification_deliveries where event_id = ${eventId} order by channel`) as unknown as DeliveryRecord[];
}

/** Waits until every delivery of the event (on `channel`) has one of `statuses` (and there are `count` of them). */
export async function waitForDeliveries(f: NotificationsFixture, eventId: string, statuses: string[], count = 1, channel?: string, timeoutMs = 60_000): Promise<DeliveryRecord[]> {
  return eventually(
    async () => (await deliveriesOf(f, eventId)).filter((r) => !channel || r.channel === channel),
    (rows) => rows.length >= count && rows.every((r) => statuses.includes(r.status)),
    timeoutMs,
  );
}

/** Messages the SMTP server received, parsed, optionally only those to `to`. */
export async function mails(sink: SmtpSink, to?: string): Promise<ParsedMail[]> {
  const raw = sink.messages.filter((m) => !to || m.to.includes(to));
  return Promise.all(raw.map((m) => simpleParser(m.raw)));
}

/** Waits until `sink` has `count` messages to `to`, and returns them all (to `to`). */
export async function waitForMail(sink: SmtpSink, to: string, count = 1, timeoutMs = 20_000): Promise<ParsedMail[]> {
  await eventually(
    async () => sink.messages.filter((m) => m.to.includes(to)).length,
    (n) => n >= count,
    timeoutMs,
  );
  return mails(sink, to);
}

/** Waits until `sink` has a message to `to` with `subject`, and returns those messages. */
export async function waitForSubject(sink: SmtpSink, to: string, subject: string, timeoutMs = 20_000): Promise<ParsedMail[]> {
  return eventually(
    async () => (await mails(sink, to)).filter((m) => m.subject === subject),
    (found) => found.length > 0,
    timeoutMs,
  );
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP server standing in for a webhook receiver or the SMS provider; `respond` decides each status. */
export async function startReceiver(respond: (request: ReceivedRequest, index: number) => number): Promise<{ url: string; requests: ReceivedRequest[]; respond: typeof respond; server: Server; stop(): Promise<void> }> {
  const receiver = {
    url: '',
    requests: [] as ReceivedRequest[],
    respond,
    server: undefined as unknown as Server,
    stop: async () => {
      receiver.server.closeAllConnections();
      await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
    },
  };
  receiver.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      receiver.requests.push(request);
      const status = receiver.respond(request, receiver.requests.length - 1);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300 }));
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
  return receiver;
}
