import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { queueConnection } from '@shopgraph/kit';
import { testRedisUrl } from '@shopgraph/kit/testing';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../src/dev/smtp-sink.ts';
import { DELIVERY_QUEUE } from '../src/jobs/delivery-queue.ts';
import {
  type Customer,
  eventually,
  FAST_RETRIES,
  mails,
  newCustomer,
  newProduct,
  type NotificationsFixture,
  placeOrder,
  publish,
  startNotifications,
  statusEvent,
  waitForDeliveries,
  waitForOrder,
} from './helpers.ts';

/**
 * The workers as their own process (the server runs with NOTIFY_WORKERS=false): killed mid-job and restarted,
 * and stopped with SIGTERM while a message is on its way.
 */

let f: NotificationsFixture;
let customer: Customer;
let order: { id: string; number: string };
let deliveryQueue: Queue;
const children: ChildProcess[] = [];

beforeAll(async () => {
  f = await startNotifications({ env: { NOTIFY_WORKERS: 'false' } });
  deliveryQueue = new Queue(DELIVERY_QUEUE, { connection: queueConnection(testRedisUrl()), prefix: f.prefix });
  customer = await newCustomer(f);
  const productId = await newProduct(f, { name: 'Wool Socks' });
  order = await placeOrder(f, customer, [{ productId, quantity: 3 }]);
  await waitForOrder(f, order.id, ['FULFILLING']);
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await deliveryQueue?.close();
  await f?.stop();
});

const workerEntry = fileURLToPath(new URL('../src/worker.ts', import.meta.url));

/** The subgraphs the server was given (users, orders, shipping, payments, …): the worker process calls the same ones. */
function calleeUrls(): Record<string, string> {
  const serverEnv = f.stack.subgraphs.notifications!.env;
  return Object.fromEntries(Object.entries(serverEnv).flatMap(([key, value]) => (/^[A-Z]+_URL$/.test(key) && typeof value === 'string' && value.startsWith('http') ? [[key, value]] : [])));
}

function startWorker(smtp: SmtpSink, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', workerEntry], {
    env: {
      ...process.env,
      ...FAST_RETRIES,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      // Any free port for the worker's /metrics: workers of test files running side by side must not share 9464.
      METRICS_PORT: '0',
      DATABASE_URL: f.stack.subgraphs.notifications!.databaseUrl,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: f.prefix,
      ROUTER_PUBLIC_KEY: f.stack.keys.publicKey,
      INTERNAL_SECRET: f.stack.internalSecret,
      ...calleeUrls(),
      SMTP_URL: smtp.url,
      ...env,
    },
    stdio: 'ignore',
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));

describe('worker process', () => {
  it('retries the job of a worker killed mid-job after a restart, and sends the message once', async () => {
    // The checkout's own events (placed, paid) wait in the queue too: this worker dies on the first message.
    const event = statusEvent(order, customer.id, 'SHIPPED');
    await publish(f, event);
    expect(await exited(startWorker(f.smtp, { NOTIFY_CRASH_BEFORE_SEND: 'true' }))).toBe(137);
    expect(f.smtp.messages).toHaveLength(0);

    startWorker(f.smtp);
    const [sent] = await waitForDeliveries(f, event.eventId, ['SENT']);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1 });
    const received = await eventually(
      () => mails(f.smtp, customer.email),
      (m) => m.length >= 3,
    );
    // placed, paid and shipped: each exactly once, the job the killed worker held included.
    expect(received.map((m) => m.subject).sort()).toEqual(
      [`Order ${order.number} is on its way`, `Payment confirmed for order ${order.number}`, `We received your order ${order.number}`].sort(),
    );
    expect(new Set(received.map((m) => m.messageId)).size).toBe(3);
  });

  it('keeps an event waiting while a subgraph it needs is unreachable, without spending its attempts', async () => {
    const worker = startWorker(f.smtp, { USERS_URL: 'http://127.0.0.1:9/graphql' });
    const event = statusEvent(order, customer.id, 'REFUNDED');
    await publish(f, event);
    // Delayed again and again, never failed: orders' attempts are for real errors.
    const job = await eventually(
      async () => ({ state: await f.orderStatus.getJobState(event.eventId), job: await f.orderStatus.getJob(event.eventId) }),
      ({ state, job }) => state === 'delayed' && (job?.delay ?? 0) > 0,
    );
    expect(job.state).toBe('delayed');
    expect(job.job?.attemptsMade).toBe(0);
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);

    startWorker(f.smtp);
    const [sent] = await waitForDeliveries(f, event.eventId, ['SENT']);
    expect(sent).toMatchObject({ status: 'SENT', attempts: 1 });
    expect((await mails(f.smtp, customer.email)).filter((m) => m.subject === `Order ${order.number} was refunded`)).toHaveLength(1);
  });

  it('lets an active job finish on SIGTERM before exiting', async () => {
    // A slow SMTP server: the message is on the wire when SIGTERM arrives.
    const slow = await startSmtpSink({ delayMs: 1_500 });
    try {
      const worker = startWorker(slow);
      const event = statusEvent(order, customer.id, 'DELIVERED');
      await publish(f, event);
      expect(await eventually(() => deliveryQueue.getActiveCount(), (n) => n > 0)).toBeGreaterThan(0);
      worker.kill('SIGTERM');
      expect(await exited(worker)).toBe(0);
      expect((await mails(slow, customer.email)).map((m) => m.subject)).toEqual([`Order ${order.number} was delivered`]);
      const [row] = await waitForDeliveries(f, event.eventId, ['SENT'], 1, undefined, 1);
      expect(row).toMatchObject({ status: 'SENT', attempts: 1 });
    } finally {
      await slow.stop();
    }
  });
});
