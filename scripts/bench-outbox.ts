/**
 * `npm run bench:outbox`: how long an event waits in a transactional outbox before it is published, under a
 * steady checkout load, on a freshly started stack (`npm start` on free ports, temporary data directory).
 *
 * Customers place orders at `--rate` orders/s for `--seconds`, `--runs` times on the same stack. For each
 * run it prints, per outbox (orders, payments, shipping), p50/p95/p99 of the time from the outbox write
 * (`created_at`, the writing transaction's start) to its publication (`published_at`, set once Redis has
 * acknowledged it), and for orders also the time until a Redis subscriber received the event on
 * `orders:status:*`; then the median of the runs. CPU: the orders process's CPU time (user + system, from
 * /proc) per order event published, which includes the checkout work itself (compare runs, not absolutes).
 *
 *   npm run bench:outbox -- --rate 5 --seconds 20 --runs 3
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { ORDER_STATUS_CHANNEL_PREFIX, withDatabase } from '@shopgraph/kit';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { startBenchStack } from './lib/bench-stack.ts';
import { call, numberArg, printCommand, processCpuSeconds, quantile } from './lib/bench.ts';

printCommand();

const rate = numberArg('rate', 5);
const seconds = numberArg('seconds', 20);
const runs = numberArg('runs', 3);
const customerCount = numberArg('customers', 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const OUTBOXES = ['orders', 'payments', 'shipping'] as const;

const stack = await startBenchStack();
const dbs = Object.fromEntries(
  OUTBOXES.map((name) => [name, postgres(withDatabase(`postgres://postgres:postgres@127.0.0.1:${stack.ports.EMBEDDED_PG_PORT}/postgres`, `shopgraph_${name}`), { max: 1, onnotice: () => {} })]),
) as Record<(typeof OUTBOXES)[number], postgres.Sql>;
const subscriber = new Redis(stack.ports.EMBEDDED_REDIS_PORT!, '127.0.0.1', { lazyConnect: true });
try {
  const url = stack.routerUrl;
  const admin = (await call<{ login: { accessToken: string } }>(url, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }')).login.accessToken;
  const sku = `OUTBOX-${randomUUID().slice(0, 6).toUpperCase()}`;
  const { createProduct } = await call<{ createProduct: { id: string } }>(url, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku, name: `Bench ${sku}`, weightGrams: 400 } }, admin);
  const productId = createProduct.id;
  await call(url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 1999, currency: "EUR") { amount } }', { id: productId }, admin);
  await call(url, 'mutation($id: ID!, $n: Int!) { adjustStock(productId: $id, delta: $n, reason: "benchmark") { available } }', { id: productId, n: Math.ceil(rate * seconds * runs * 1.2) + 10 }, admin);
  const tokens = await Promise.all(
    Array.from({ length: customerCount }, async (_, i) => {
      const input = { email: `outbox-${i}-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery', name: `Bench ${i}` };
      return (await call<{ register: { accessToken: string } }>(url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', { input })).register.accessToken;
    }),
  );

  // Every order event published on Redis pub/sub, by event id, with the time it was received here.
  const received = new Map<string, number>();
  await subscriber.connect();
  subscriber.on('pmessage', (_pattern, channel, message) => {
    if (channel.startsWith(`${ORDER_STATUS_CHANNEL_PREFIX}customer:`)) return;
    received.set((JSON.parse(message) as { eventId: string }).eventId, Date.now());
  });
  await subscriber.psubscribe(`${ORDER_STATUS_CHANNEL_PREFIX}*`);

  console.log(`outbox benchmark: ${rate} orders/s for ${seconds} s, ${runs} runs, on ${process.platform} with ${cpus().length} cores (load average ${loadavg()[0]!.toFixed(1)})`);
  const address = { recipientName: 'Bench', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
  const rows: Array<Record<string, number>> = [];
  for (let run = 1; run <= runs; run++) {
    const since = new Date();
    const ordersPid = stack.pidOf('orders');
    const cpuBefore = processCpuSeconds(ordersPid);
    const placing: Promise<unknown>[] = [];
    const started = Date.now();
    for (let i = 0; i < rate * seconds; i++) {
      await sleep(Math.max(0, started + (i * 1000) / rate - Date.now()));
      placing.push(
        call(url, 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', {
          input: { items: [{ productId, quantity: 1 }], shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: randomUUID() },
        }, tokens[i % tokens.length]).catch((error: Error) => console.error(`placeOrder failed: ${error.message}`)),
      );
    }
    await Promise.all(placing);
    // Let checkout finish and the outboxes drain before reading.
    for (let waited = 0; waited < 60_000; waited += 500) {
      const pending = await Promise.all(OUTBOXES.map(async (name) => (await dbs[name]`select count(*)::int as n from outbox where published_at is null`)[0]!.n as number));
      const unsettled = (await dbs.orders`select count(*)::int as n from orders where status in ('PENDING', 'RESERVED', 'PAID') and placed_at >= ${since}`)[0]!.n as number;
      if (pending.every((n) => n === 0) && unsettled === 0) break;
      await sleep(500);
    }
    const row: Record<string, number> = {};
    for (const name of OUTBOXES) {
      const lags = await dbs[name]`select event_id, extract(epoch from created_at) * 1000 as created, extract(epoch from published_at - created_at) * 1000 as ms from outbox where created_at >= ${since} and published_at is not null`;
      const ms = lags.map((r) => Number(r.ms));
      row[`${name} n`] = ms.length;
      row[`${name} p50`] = quantile(ms, 0.5);
      row[`${name} p95`] = quantile(ms, 0.95);
      row[`${name} p99`] = quantile(ms, 0.99);
      if (name === 'orders') {
        const heard = lags.filter((r) => received.has(r.event_id as string)).map((r) => received.get(r.event_id as string)! - Number(r.created));
        row['orders→subscriber p50'] = quantile(heard, 0.5);
        row['orders→subscriber p99'] = quantile(heard, 0.99);
        row['orders CPU ms/event'] = ((processCpuSeconds(ordersPid) - cpuBefore) * 1000) / Math.max(1, ms.length);
      }
    }
    rows.push(row);
    console.log(`run ${run} (load average ${loadavg()[0]!.toFixed(1)}): ${Object.entries(row).map(([k, v]) => `${k} ${v.toFixed(k.endsWith(' n') ? 0 : 1)}`).join('  ')}`);
  }
  const median = (key: string) => quantile(rows.map((r) => r[key]!), 0.5);
  console.log('median of the runs (ms):');
  for (const name of OUTBOXES) {
    console.log(`  ${name.padEnd(9)} write → published  p50 ${median(`${name} p50`).toFixed(1).padStart(7)}  p95 ${median(`${name} p95`).toFixed(1).padStart(7)}  p99 ${median(`${name} p99`).toFixed(1).padStart(7)}  (${median(`${name} n`)} events/run)`);
  }
  console.log(`  orders    write → subscriber p50 ${median('orders→subscriber p50').toFixed(1).padStart(7)}  p99 ${median('orders→subscriber p99').toFixed(1).padStart(7)}`);
  console.log(`  orders process CPU per order event: ${median('orders CPU ms/event').toFixed(2)} ms (checkout work included)`);
} finally {
  subscriber.disconnect();
  for (const sql of Object.values(dbs)) await sql.end();
  await stack.stop();
}
