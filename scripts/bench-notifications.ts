/**
 * `npm run bench:notifications`: notification throughput end to end, against a freshly started stack
 * (temporary data directory, free ports) whose mail goes to a real SMTP server in this process. A few customers
 * place real orders; then N order status events are published on `orders.status-changed.notifications`, as orders'
 * outbox relay does, each with a fresh event id (so each makes one email) and its order as placed (read from orders'
 * outbox). It waits until the SMTP server has received every message and prints notifications/s (published →
 * received), the end-to-end latency, and the queue lag (job created → processing started) of the event and
 * delivery queues.
 *
 *   npm run bench:notifications -- --events 10000 [--rate 300] [--statements notifications] [--profile <dir>]
 *
 * `--rate <events/s>` publishes at that sustained rate instead of all at once (in batches of 500): the latency
 * and queue lag it prints are then those of a steady load.
 *
 * It also prints every process's CPU-ms per email and the SQL statements per email by database;
 * `--statements <database>` lists that database's statements per email, most frequent first.
 *
 * Worker settings come from the environment as usual (NOTIFY_CONCURRENCY, NOTIFY_EVENTS_CONCURRENCY, SMTP_POOL_SIZE).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { orderStatusQueue, type OrderStatus, type OrderStatusEvent, queueConnection } from '@shopgraph/kit';
import { Queue } from 'bullmq';
import postgres from 'postgres';
import { startSmtpSink } from '../subgraphs/notifications/src/dev/smtp-sink.ts';
import { DELIVERY_QUEUE } from '../subgraphs/notifications/src/jobs/delivery-queue.ts';
import { startBenchStack } from './lib/bench-stack.ts';
import { call, numberArg, printCommand, profilingEnv, quantile, stringArg } from './lib/bench.ts';
import { grown, PG_STAT_STATEMENTS_SETTINGS, statementCounter } from './lib/pg-statements.ts';
import { cpuByRole, cpuSpent } from './lib/proc.ts';

printCommand();

const events = numberArg('events', 10_000);
const rate = numberArg('rate', 0);
const customers = numberArg('customers', 10);
const timeoutMs = numberArg('timeout-seconds', 900) * 1000;
const statementsOf = stringArg('statements');

const ms = (n: number) => `${n.toFixed(0)} ms`;

/** Processing-start minus creation of every completed job of a queue (only the given job ids, if any). */
async function queueLags(queue: Queue, only?: Map<string, number>): Promise<number[]> {
  const lags: number[] = [];
  for (let start = 0; ; start += 1000) {
    const jobs = await queue.getJobs(['completed'], start, start + 999, true);
    for (const job of jobs) if (job?.processedOn && job.timestamp && (!only || only.has(job.id!))) lags.push(job.processedOn - job.timestamp);
    if (jobs.length < 1000) return lags;
  }
}

const smtp = await startSmtpSink();
// Event id of every received message (the X-Shopgraph-Event-Id header) → when it arrived.
const received = new Map<string, number>();
smtp.onMessage = (mail) => {
  const head = mail.raw.subarray(0, 4096).toString('utf8');
  const id = /^X-Shopgraph-Event-Id: *(\S+)/im.exec(head)?.[1];
  if (id) received.set(id, mail.receivedAt);
  // Keep memory flat: the bench needs only the arrival times.
  smtp.messages.length = 0;
};
process.env.SMTP_URL = smtp.url;
const stack = await startBenchStack({ env: { ...PG_STAT_STATEMENTS_SETTINGS, ...profilingEnv() } });
const counter = await statementCounter(stack.ports.EMBEDDED_PG_PORT!);
const redisUrl = `redis://127.0.0.1:${stack.ports.EMBEDDED_REDIS_PORT}`;
const eventsQueue = new Queue<OrderStatusEvent>(orderStatusQueue('notifications'), { connection: queueConnection(redisUrl), prefix: 'shopgraph' });
const deliveryQueue = new Queue(DELIVERY_QUEUE, { connection: queueConnection(redisUrl), prefix: 'shopgraph' });
try {
  const url = stack.routerUrl;
  const admin = (await call<{ login: { accessToken: string } }>(url, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }')).login.accessToken;
  const sku = `BENCH-${randomBytes(3).toString('hex').toUpperCase()}`;
  const { createProduct } = await call<{ createProduct: { id: string } }>(url, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku, name: `Bench ${sku}`, weightGrams: 400 } }, admin);
  await call(url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 1999, currency: "EUR") { amount } }', { id: createProduct.id }, admin);
  await call(url, 'mutation($id: ID!, $n: Int!) { adjustStock(productId: $id, delta: $n, reason: "benchmark") { available } }', { id: createProduct.id, n: customers * 2 }, admin);

  // Real orders (and their own placed/paid emails) first: the events below refer to them.
  const orders = await Promise.all(
    Array.from({ length: customers }, async (_, i) => {
      const input = { email: `bench-${i}-${randomBytes(4).toString('hex')}@example.com`, password: 'correct horse battery', name: `Bench ${i}` };
      const { register } = await call<{ register: { accessToken: string; user: { id: string } } }>(url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }', { input });
      const { placeOrder } = await call<{ placeOrder: { id: string; number: string } }>(
        url,
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id number } }',
        {
          input: {
            items: [{ productId: createProduct.id, quantity: 1 }],
            shippingAddress: { recipientName: 'Bench', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
            paymentToken: 'tok_visa',
            idempotencyKey: randomUUID(),
          },
        },
        register.accessToken,
      );
      return { ...placeOrder, customerId: register.user.id };
    }),
  );
  // Each event carries its order as placed, as orders' own events do (read from orders' outbox).
  const ordersDb = postgres(`postgres://postgres:postgres@127.0.0.1:${stack.ports.EMBEDDED_PG_PORT}/shopgraph_orders`, { max: 1, onnotice: () => {} });
  const snapshots = new Map<string, OrderStatusEvent['order']>();
  for (const order of orders) {
    const [row] = await ordersDb<Array<{ snapshot: OrderStatusEvent['order'] }>>`select payload->'order' as snapshot from outbox where payload->>'orderId' = ${order.id} order by seq limit 1`;
    snapshots.set(order.id, row?.snapshot ?? undefined);
  }
  await ordersDb.end();

  // Let the checkout's own emails (placed, paid) go out before measuring.
  const warmup = Date.now();
  while (received.size < customers * 2 && Date.now() - warmup < 60_000) await new Promise((r) => setTimeout(r, 100));
  await eventsQueue.clean(0, 100_000, 'completed');
  await deliveryQueue.clean(0, 100_000, 'completed');
  received.clear();

  const statuses: OrderStatus[] = ['PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED'];
  console.log(`notifications benchmark: ${events} order events (${customers} orders, ${statuses.join('/')}) ${rate > 0 ? `at ${rate}/s` : 'at once'} → SMTP, on ${process.platform} with ${cpus().length} cores`);
  console.log(`workers: NOTIFY_CONCURRENCY=${process.env.NOTIFY_CONCURRENCY ?? '20 (default)'}, NOTIFY_EVENTS_CONCURRENCY=${process.env.NOTIFY_EVENTS_CONCURRENCY ?? '100 (default)'}, SMTP_POOL_SIZE=${process.env.SMTP_POOL_SIZE ?? '5 (default)'}`);

  const published = new Map<string, number>();
  const cpuBefore = cpuByRole(stack.pid, stack.ports.EMBEDDED_PG_PORT);
  const smtpCpuBefore = process.cpuUsage();
  const sqlBefore = await counter.byDatabase();
  const statementsBefore = statementsOf ? await counter.ofDatabase(statementsOf) : new Map<string, number>();
  const started = Date.now();
  // At a rate: a batch every 50 ms, each when its first event is due.
  const perBatch = rate > 0 ? Math.max(1, Math.round(rate / 20)) : 500;
  for (let i = 0; i < events; i += perBatch) {
    const due = rate > 0 ? started + (i / rate) * 1000 - Date.now() : 0;
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    const batch = Array.from({ length: Math.min(perBatch, events - i) }, (_, j) => {
      const order = orders[(i + j) % orders.length]!;
      const event: OrderStatusEvent = {
        eventId: randomUUID(),
        orderId: order.id,
        orderNumber: order.number,
        customerId: order.customerId,
        status: statuses[(i + j) % statuses.length]!,
        previousStatus: null,
        sequence: 1,
        reason: null,
        at: new Date().toISOString(),
        ...(snapshots.get(order.id) ? { order: snapshots.get(order.id) } : {}),
      };
      return event;
    });
    const now = Date.now();
    for (const event of batch) published.set(event.eventId, now);
    await eventsQueue.addBulk(batch.map((event) => ({ name: 'order.status-changed', data: event, opts: { jobId: event.eventId, attempts: 10, backoff: { type: 'exponential', delay: 1000 } } })));
  }
  const publishSeconds = (Date.now() - started) / 1000;

  let last = 0;
  const arrived = () => [...published.keys()].filter((id) => received.has(id)).length;
  while (arrived() < events && Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 200));
    if (Date.now() - last > 10_000) {
      last = Date.now();
      console.log(`  ${arrived()}/${events} received after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  const cpu = cpuSpent(cpuBefore, cpuByRole(stack.pid, stack.ports.EMBEDDED_PG_PORT));
  const smtpCpu = process.cpuUsage(smtpCpuBefore);
  const sql = grown(sqlBefore, await counter.byDatabase()).filter(([db]) => db !== 'postgres');
  const statementsAfter = statementsOf ? await counter.ofDatabase(statementsOf) : new Map<string, number>();
  const arrivals = [...received].filter(([id]) => published.has(id));
  const latencies = arrivals.map(([id, at]) => at - published.get(id)!);
  const finished = Math.max(...arrivals.map(([, at]) => at));
  const seconds = (finished - started) / 1000;
  // The last event jobs may still be recording their completion after their emails arrived.
  for (const until = Date.now() + 10_000; Date.now() < until && (await eventsQueue.getActiveCount()) > 0; ) await new Promise((r) => setTimeout(r, 100));
  const [eventLags, deliveryLags] = await Promise.all([queueLags(eventsQueue, published), queueLags(deliveryQueue)]);

  console.log(`published ${events} events in ${publishSeconds.toFixed(1)} s; SMTP server received ${arrivals.length} of their emails`);
  console.log(`end to end: ${(arrivals.length / seconds).toFixed(0)} notifications/s (${seconds.toFixed(1)} s from first publish to last email received)`);
  console.log(`latency publish → received: p50 ${ms(quantile(latencies, 0.5))}, p99 ${ms(quantile(latencies, 0.99))}, max ${ms(Math.max(...latencies))}`);
  console.log(`queue lag (job created → processing started), ${orderStatusQueue('notifications')}: p50 ${ms(quantile(eventLags, 0.5))}, p99 ${ms(quantile(eventLags, 0.99))} (${eventLags.length} jobs)`);
  console.log(`queue lag (job created → processing started), ${DELIVERY_QUEUE}: p50 ${ms(quantile(deliveryLags, 0.5))}, p99 ${ms(quantile(deliveryLags, 0.99))} (${deliveryLags.length} jobs)`);
  // What one email cost each process, over the window from the first publish to the last email received.
  const perEmail = (seconds: number) => ((seconds * 1000) / Math.max(1, arrivals.length)).toFixed(2).padStart(8);
  console.log(`\nCPU-ms per email (CPU from /proc; the SMTP server and publisher are this process)`);
  for (const [role, seconds] of [...cpu].sort((a, b) => b[1] - a[1])) if (seconds > 0) console.log(`  ${role.padEnd(16)} ${perEmail(seconds)}`);
  console.log(`  ${'bench (SMTP)'.padEnd(16)} ${perEmail((smtpCpu.user + smtpCpu.system) / 1e6)}`);
  console.log(`  ${'stack total'.padEnd(16)} ${perEmail([...cpu.values()].reduce((a, b) => a + b, 0))}`);
  console.log(`\nSQL statements per email: ${sql.map(([db, n]) => `${db} ${(n / Math.max(1, arrivals.length)).toFixed(2)}`).join(', ')}`);
  if (statementsOf) {
    console.log(`\n${statementsOf}'s statements per email`);
    for (const [query, calls] of grown(statementsBefore, statementsAfter)) console.log(`  ${(calls / arrivals.length).toFixed(2).padStart(6)}  ${query.replace(/\s+/g, ' ').slice(0, 150)}`);
  }
  if (arrivals.length < events) process.exitCode = 1;
} finally {
  await eventsQueue.close();
  await deliveryQueue.close();
  await counter.end();
  await stack.stop();
  await smtp.stop();
}
