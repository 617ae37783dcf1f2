import { randomUUID } from 'node:crypto';
import { gql } from '@shopgraph/kit/testing';
import { startTelemetry, type Telemetry } from '@shopgraph/kit/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as HelpersModule from '../../subgraphs/notifications/test/helpers.ts';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.ts';

/**
 * Observability of one checkout, end to end, with the in-process stack (every service in this process): tracing
 * is registered once, first, with a real OTLP/HTTP receiver; spans still export as their own service (the
 * kit gives each span its service, and the exporter one OTLP resource per service).
 */

type Helpers = typeof HelpersModule;
let helpers: Helpers;
let receiver: OtlpReceiver;
let telemetry: Telemetry;
let f: Awaited<ReturnType<Helpers['startNotifications']>>;
const logLines: Array<Record<string, unknown>> = [];
const REQUEST_ID = 'obs-checkout-1';
let orderId: string;
let customerEmail: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // Before the stack's modules load: instrumentations patch what is loaded after them.
  telemetry = (await startTelemetry({ serviceName: 'test', endpoint: receiver.url }))!;
  helpers = await import('../../subgraphs/notifications/test/helpers.ts');
  f = await helpers.startNotifications({
    stack: { logs: { level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } } },
  });
  const customer = await helpers.newCustomer(f);
  customerEmail = customer.email;
  const product = await helpers.newProduct(f, { name: 'Traced Teapot', price: 3_100 });
  const res = await gql(
    f.stack.url,
    'mutation PlaceTracedOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
    { input: { items: [{ productId: product, quantity: 1 }], shippingAddress: helpers.ADDRESS, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
    // A client's traceparent is not trusted by default: the router starts the trace.
    { token: customer.token, headers: { 'x-request-id': REQUEST_ID, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } },
  );
  expect(res.errors).toBeUndefined();
  orderId = res.data!.placeOrder.id;
  expect(await helpers.waitForOrder(f, orderId, ['FULFILLING'])).toBe('FULFILLING');
  await helpers.waitForMail(f.smtp, customerEmail, 2);
}, 180_000);

afterAll(async () => {
  await f?.stop();
  await telemetry?.shutdown();
  await receiver?.stop();
});

/** The spans of the trace the checkout job of the order belongs to, once it holds `until`. */
async function checkoutTrace(until: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  return helpers.eventually(
    async () => {
      await telemetry.forceFlush();
      const job = receiver.spans.find((span) => span.name === 'orders.checkout process' && span.attributes['messaging.message.id'] === orderId);
      return job ? receiver.trace(job.traceId) : [];
    },
    until,
    60_000,
  );
}

const sentEmails = (spans: ReceivedSpan[]) => spans.filter((span) => span.name === 'notification send email');

describe('one trace from the router to the email', () => {
  it('holds router, orders, inventory, payments, shipping and notifications spans, the jobs and both SMTP sends, parents intact', async () => {
    const spans = await checkoutTrace((all) => sentEmails(all).length >= 2);
    const services = new Set(spans.map((span) => span.service));
    for (const service of ['router', 'orders', 'inventory', 'payments', 'shipping', 'notifications']) expect(services).toContain(service);
    const names = spans.map((span) => span.name);
    expect(names).toContain('orders.checkout process');
    expect(names).toContain('orders.status-changed.notifications process');
    expect(names).toContain('notifications.deliveries process');
    expect(sentEmails(spans)).toHaveLength(2);
    expect(spans.every((span) => span.traceId !== '0af7651916cd43dd8448eb211c80319c')).toBe(true);

    // Parent links: every span's parent is in the trace; the one root is the router's server span.
    const ids = new Set(spans.map((span) => span.spanId));
    const roots = spans.filter((span) => !span.parentSpanId);
    expect(roots).toHaveLength(1);
    expect(roots[0]).toMatchObject({ service: 'router', kind: 2 });
    expect(spans.filter((span) => span.parentSpanId && !ids.has(span.parentSpanId))).toEqual([]);

    // The chain: SMTP send <- delivery job <- ... <- checkout job <- orders' placeOrder request <- router.
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const ancestry = (span: ReceivedSpan) => {
      const chain: ReceivedSpan[] = [];
      for (let at: ReceivedSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) chain.push(at);
      return chain;
    };
    const chain = ancestry(sentEmails(spans)[0]!).map((span) => `${span.service}:${span.name}`);
    expect(chain).toContain('notifications:notifications.deliveries process');
    expect(chain).toContain('notifications:orders.status-changed.notifications process');
    expect(chain.at(-1)).toMatch(/^router:/);
    // The saga's internal calls are children of the checkout job, answered by each subgraph's server span.
    const checkout = spans.find((span) => span.name === 'orders.checkout process')!;
    for (const service of ['inventory', 'payments', 'shipping']) {
      const served = spans.filter((span) => span.service === service && span.kind === 2);
      expect(served.some((span) => ancestry(span).includes(checkout)), `${service} served the checkout job`).toBe(true);
    }
  });

  it('the router starts a new trace unless told to trust the caller', () => {
    expect(receiver.spans.some((span) => span.traceId === '0af7651916cd43dd8448eb211c80319c')).toBe(false);
  });
});

describe('logs', () => {
  it('carry the trace id, span id and request id: the router access line and the job lines', async () => {
    const [job] = await checkoutTrace((all) => all.length > 0);
    const traceId = job!.traceId;
    const access = logLines.find((line) => line.service === 'router' && line.msg === 'graphql request' && line.operation === 'PlaceTracedOrder');
    expect(access).toMatchObject({ trace_id: traceId, request_id: REQUEST_ID, status: 200, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(access!.cost).toEqual(expect.any(Number));
    expect(access!.durationMs).toEqual(expect.any(Number));
    const subgraphAccess = logLines.find((line) => line.service === 'orders' && line.msg === 'graphql request' && line.trace_id === traceId);
    expect(subgraphAccess).toMatchObject({ request_id: REQUEST_ID, status: 200 });
    const jobLine = logLines.find((line) => line.service === 'orders' && line.msg === 'job done' && line.queue === 'orders.checkout' && line.jobId === orderId);
    expect(jobLine).toMatchObject({ trace_id: traceId, request_id: REQUEST_ID, outcome: 'completed' });
    // The saga's internal calls carry the request id: inventory logs it on its access line.
    expect(logLines.find((line) => line.service === 'inventory' && line.msg === 'graphql request' && line.trace_id === traceId)).toMatchObject({ request_id: REQUEST_ID });
    const delivery = logLines.find((line) => line.service === 'notifications' && line.msg === 'job done' && line.queue === 'notifications.deliveries');
    expect(delivery).toMatchObject({ trace_id: traceId, request_id: REQUEST_ID });
  });
});

describe('metrics', () => {
  const scrape = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return res.text();
  };
  /** The value of the first sample of `name` whose labels include all of `labels`. */
  const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return undefined;
  };

  it('every subgraph serves /metrics with runtime, RED, queue, outbox and domain series after a checkout', async () => {
    for (const [name, subgraph] of Object.entries(f.stack.subgraphs)) {
      const text = await scrape(`${subgraph.origin}/metrics`);
      expect(sample(text, 'shopgraph_nodejs_heap_size_used_bytes', { service: name }), name).toBeGreaterThan(0);
      expect(text, name).toContain('shopgraph_nodejs_eventloop_lag_seconds');
    }
    const orders = await scrape(`${f.stack.subgraphs.orders!.origin}/metrics`);
    expect(sample(orders, 'shopgraph_checkout_saga_outcomes_total', { status: 'FULFILLING' })).toBeGreaterThanOrEqual(1);
    expect(sample(orders, 'shopgraph_bullmq_jobs_processed_total', { queue: 'orders.checkout', outcome: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sample(orders, 'shopgraph_bullmq_queue_jobs', { queue: 'orders.checkout', state: 'waiting' })).toBeGreaterThanOrEqual(0);
    expect(sample(orders, 'shopgraph_bullmq_job_wait_seconds_count', { queue: 'orders.checkout' })).toBeGreaterThanOrEqual(1);
    expect(sample(orders, 'shopgraph_outbox_backlog_events', { queue: 'orders.status-changed' })).toBe(0);
    expect(sample(orders, 'shopgraph_outbox_publish_lag_seconds_count', { queue: 'orders.status-changed' })).toBeGreaterThanOrEqual(3);
    expect(sample(orders, 'shopgraph_graphql_requests_total', { status: '200', code: 'none' })).toBeGreaterThanOrEqual(1);

    const notifications = await scrape(`${f.stack.subgraphs.notifications!.origin}/metrics`);
    expect(sample(notifications, 'shopgraph_notification_deliveries_total', { channel: 'email', status: 'SENT' })).toBeGreaterThanOrEqual(2);
    expect(sample(notifications, 'shopgraph_bullmq_jobs_processed_total', { queue: 'notifications.deliveries', outcome: 'completed' })).toBeGreaterThanOrEqual(2);
  });

  it('the router serves its metrics on a port of its own, not on the public one', async () => {
    const { port } = await f.stack.router.metrics.listen(0, '127.0.0.1');
    const text = await scrape(`http://127.0.0.1:${port}/metrics`);
    expect(sample(text, 'shopgraph_graphql_requests_total', { service: 'router', operation: 'PlaceTracedOrder', status: '200', code: 'none' })).toBe(1);
    expect(sample(text, 'shopgraph_graphql_request_duration_seconds_count', { operation: 'PlaceTracedOrder' })).toBe(1);
    expect(sample(text, 'shopgraph_subgraph_fetches_total', { subgraph: 'orders', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'shopgraph_subgraph_fetch_duration_seconds_count', { subgraph: 'orders' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'shopgraph_websocket_connections')).toBe(0);
    expect(sample(text, 'shopgraph_subscriptions_active', { kind: 'client' })).toBe(0);
    expect((await fetch(`${f.stack.routerOrigin}/metrics`)).status).toBe(404);
  });
});
