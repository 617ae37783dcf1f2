/**
 * `npm run bench:checkout`: checkout throughput, latency and cost through the router, against a freshly
 * started stack (temporary data directory, free ports). N customers register and each adds a product to the
 * cart; then, measured, all place their orders at once and it waits until every order has left checkout
 * (FULFILLING or a final status) and the emails they cause have been delivered to the mail sink.
 *
 * Prints placement and payment figures, and the cost of one order: CPU-ms per process (router, each
 * subgraph, PostgreSQL backends summed, Redis, the start script with the mail sink) from /proc, and SQL
 * statements per order by database (pg_stat_statements). Order status is followed in orders' database, so
 * following it costs the services nothing.
 *
 *   npm run bench:checkout -- --customers 50 [--warmup 1] [--profile <dir>] [--rest-seconds 10]
 *
 * `--warmup <rounds>`: the customers first check out that many times unmeasured (default 1), so that the measured
 * orders find pools connected, statements prepared and code compiled, as a shop that has been serving does.
 * `--warmup 0` measures a cold stack's first orders.
 *
 * It also prints the calls one order costs, from the services' own counters: GraphQL requests each served by
 * operation, the router's subgraph fetches, and the BullMQ jobs each processed by queue.
 *
 * Before the orders it measures the stack at rest for `--rest-seconds`: each process's CPU per order is printed
 * with the part of it that the window's length costs anyway (outbox relays and schedulers polling, metrics).
 *
 * `--statements <database>` (e.g. orders): also lists that database's statements per order, most frequent first.
 *
 * `--tracing <ratio>`: OpenTelemetry tracing on, sampling that ratio (1 = every trace), exported over OTLP/HTTP to a
 * receiver this script runs; compare runs with and without it for tracing's cost per order.
 *
 * `--profile <dir>`: every process of the stack writes a V8 CPU profile (`--cpu-prof`) into <dir> when it stops
 * (open them in Chrome DevTools, or summarise with `node scripts/profile-top.ts <file>`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { startBenchStack } from './lib/bench-stack.ts';
import { call, numberArg, printCommand, profilingEnv, quantile, stringArg } from './lib/bench.ts';
import { grown, PG_STAT_STATEMENTS_SETTINGS, statementCounter } from './lib/pg-statements.ts';
import { cpuByRole, cpuSpent, postgresCpu } from './lib/proc.ts';
import { scrapeCalls } from './lib/service-calls.ts';
import { startOtlpReceiver } from '../test/support/otlp-receiver.ts';

printCommand();

const customers = numberArg('customers', 50);
const warmupRounds = numberArg('warmup', 1);
const profiling = stringArg('profile') !== undefined;
const statementsOf = stringArg('statements');
const tracing = stringArg('tracing');
const receiver = tracing ? await startOtlpReceiver() : undefined;
/** Runs `run` over `items`, ten at a time, and returns the results in order. */
async function inBatches<T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += 10) results.push(...(await Promise.all(items.slice(i, i + 10).map(run))));
  return results;
}

const DONE = new Set(['FULFILLING', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REJECTED', 'PAYMENT_FAILED', 'REFUNDED']);


// pg_stat_statements counts SQL statements; the demo carrier stays still (no shipping moves inside the window).
const stackStarted = performance.now();
const stack = await startBenchStack({
  env: {
    ...PG_STAT_STATEMENTS_SETTINGS,
    DEMO_CARRIER_INTERVAL_SECONDS: '3600',
    ...(receiver ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER_ARG: tracing! } : {}),
    ...profilingEnv(),
  },
});
const pgUrl = `postgres://postgres:postgres@127.0.0.1:${stack.ports.EMBEDDED_PG_PORT}`;
const counter = await statementCounter(stack.ports.EMBEDDED_PG_PORT!);
const ordersDb = postgres(`${pgUrl}/shopgraph_orders`, { max: 1 });
try {
  const url = stack.routerUrl;
  const statements = counter.byDatabase;
  const statementCalls = counter.ofDatabase;
  const mailCount = () => readdirSync(join(stack.dataDir, 'mail')).filter((f) => f.endsWith('.eml')).length;

  // A product with enough stock for everyone, priced in the shop's currency.
  const adminToken = (await call<{ login: { accessToken: string } }>(url, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }')).login.accessToken;
  const sku = `BENCH-${randomBytes(3).toString('hex').toUpperCase()}`;
  const { createProduct } = await call<{ createProduct: { id: string } }>(url, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku, name: `Bench ${sku}`, weightGrams: 400 } }, adminToken);
  const productId = createProduct.id;
  await call(url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 1999, currency: "EUR") { amount } }', { id: productId }, adminToken);
  await call(url, 'mutation($id: ID!, $n: Int!) { adjustStock(productId: $id, delta: $n, reason: "benchmark") { available } }', { id: productId, n: customers * (warmupRounds + 2) }, adminToken);

  // Set-up, a few at a time (password hashing is slow on purpose; the router sheds a flood of it).
  const tokens = await inBatches(Array.from({ length: customers }, (_, i) => i), async (i) => {
    const input = { email: `bench-${i}-${randomBytes(4).toString('hex')}@example.com`, password: 'correct horse battery', name: `Bench ${i}` };
    return (await call<{ register: { accessToken: string } }>(url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', { input })).register.accessToken;
  });
  const tracingNote = receiver ? `, tracing on (${Number(tracing) * 100} % sampled)` : ', tracing off';
  console.log(`checkout benchmark: ${customers} customers checking out at once after ${warmupRounds} warm-up round${warmupRounds === 1 ? '' : 's'}${tracingNote}, on ${process.platform} with ${(await import('node:os')).cpus().length} cores`);

  const address = { recipientName: 'Bench', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
  let retries = 0;
  /** Every customer places an order at once; a shed request is sent again, as a client should. */
  const placeAll = () =>
    Promise.all(
      tokens.map(async (token) => {
        const t0 = performance.now();
        const input = { shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: randomUUID() };
        // An overloaded shop answers SERVICE_UNAVAILABLE (shed), and the same request with the same idempotency key
        // is sent again shortly.
        for (;;) {
          try {
            const { placeOrder } = await call<{ placeOrder: { id: string } }>(url, 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input }, token);
            return { id: placeOrder.id, token, latency: performance.now() - t0, placedAt: performance.now() };
          } catch (error) {
            if (!/unavailable/i.test((error as Error).message)) throw error;
            retries += 1;
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
        }
      }),
    );
  /** Every order out of checkout (read in orders' database), then every email it caused delivered. */
  const settled = async (ids: string[]) => {
    for (;;) {
      const [row] = await ordersDb<Array<{ open: number }>>`select count(*)::int as open from orders where id in ${ordersDb(ids)} and status::text not in ${ordersDb([...DONE])}`;
      if (row!.open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (let last = -1, stableSince = performance.now(); performance.now() - stableSince < 2_000; await new Promise((resolve) => setTimeout(resolve, 200))) {
      const now = mailCount();
      if (now !== last) [last, stableSince] = [now, performance.now()];
    }
  };
  const fillCarts = () => inBatches(tokens, (token) => call(url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { id } }', { id: productId }, token));

  // Warm-up rounds, not measured: every service's pool has its connections open and its statements prepared,
  // and the JIT has compiled the checkout path, as in a shop that has been serving for a while.
  for (let round = 0; round < warmupRounds; round++) {
    await fillCarts();
    await settled((await placeAll()).map((p) => p.id));
  }
  retries = 0;
  await fillCarts();
  // The stack at rest: outbox relays, schedulers and metrics poll whatever the load. What that costs over the
  // window is printed beside each process's cost per order; at hundreds of orders a second it would be spread thin.
  const restSeconds = numberArg('rest-seconds', 10);
  // Set-up's own tail (the welcome emails, the last requests' GC) first.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const restBefore = cpuByRole(stack.pid, stack.ports.EMBEDDED_PG_PORT);
  await new Promise((resolve) => setTimeout(resolve, restSeconds * 1_000));
  const atRest = cpuSpent(restBefore, cpuByRole(stack.pid, stack.ports.EMBEDDED_PG_PORT));

  const mailBefore = mailCount();
  const cpuBefore = cpuByRole(stack.pid, stack.ports.EMBEDDED_PG_PORT);
  const pgBefore = postgresCpu(stack.ports.EMBEDDED_PG_PORT!);
  const sqlBefore = await statements();
  const callsBefore = await scrapeCalls(stack.ports);
  const statementsBefore = statementsOf ? await statementCalls(statementsOf) : new Map<string, number>();

  const started = performance.now();
  const placed = await placeAll();
  const placedSeconds = (performance.now() - started) / 1000;

  const ids = placed.map((p) => p.id);
  await settled(ids);
  const windowSeconds = (performance.now() - started) / 1000;
  const cpu = cpuSpent(cpuBefore, cpuByRole(stack.pid, stack.ports.EMBEDDED_PG_PORT));
  const pgCpu = cpuSpent(pgBefore, postgresCpu(stack.ports.EMBEDDED_PG_PORT!));
  const sql = cpuSpent(sqlBefore, await statements());
  const calls = grown(callsBefore, await scrapeCalls(stack.ports));
  const statementsAfter = statementsOf ? await statementCalls(statementsOf) : new Map<string, number>();
  const emails = mailCount() - mailBefore;

  type History = { status: string; at: string };
  const outcomes = await Promise.all(
    placed.map(async (order) => (await call<{ order: { status: string; statusHistory: History[] } }>(url, 'query($id: ID!) { order(id: $id) { status statusHistory { status at } } }', { id: order.id }, order.token)).order),
  );
  const toPaid = outcomes
    .map((o) => {
      const pending = o.statusHistory.find((h) => h.status === 'PENDING');
      const paid = o.statusHistory.find((h) => h.status === 'PAID');
      return pending && paid ? { ms: Date.parse(paid.at) - Date.parse(pending.at), at: Date.parse(paid.at) } : null;
    })
    .filter((x): x is { ms: number; at: number } => x !== null);
  const firstPending = Math.min(...outcomes.map((o) => Date.parse(o.statusHistory[0]!.at)));
  const lastPaid = Math.max(...toPaid.map((p) => p.at));
  const statuses = Object.entries(outcomes.reduce<Record<string, number>>((acc, o) => ({ ...acc, [o.status]: (acc[o.status] ?? 0) + 1 }), {}));
  const latencies = placed.map((p) => p.latency);

  console.log(`placed        ${(customers / placedSeconds).toFixed(1).padStart(7)} orders/s   (${customers} orders in ${placedSeconds.toFixed(2)} s; ${retries} placeOrder retries after SERVICE_UNAVAILABLE)`);
  console.log(`reached PAID  ${(toPaid.length / ((lastPaid - firstPending) / 1000)).toFixed(1).padStart(7)} orders/s   (${toPaid.length} paid)`);
  console.log(`placeOrder    p50 ${quantile(latencies, 0.5).toFixed(1).padStart(7)} ms   p99 ${quantile(latencies, 0.99).toFixed(1).padStart(7)} ms`);
  console.log(`placed → PAID p50 ${quantile(toPaid.map((p) => p.ms), 0.5).toFixed(1).padStart(7)} ms   p99 ${quantile(toPaid.map((p) => p.ms), 0.99).toFixed(1).padStart(7)} ms`);
  console.log(`final statuses: ${statuses.map(([s, n]) => `${s} ${n}`).join(', ')}; ${emails} emails delivered`);

  // The cost of one order: placeOrder, the saga, events and notifications, over the whole window.
  const n = placed.length;
  const total = [...cpu.values()].reduce((a, b) => a + b, 0);
  const windowStart = (started - stackStarted) / 1000;
  console.log(`\ncost of one order (${n} orders, ${windowSeconds.toFixed(1)} s window from ${windowStart.toFixed(0)} s after the stack started${profiling ? `: profile-top --after ${Math.ceil(windowStart)}` : ''}; CPU from /proc, SQL from pg_stat_statements)`);
  // CPU-ms per order that the process spends at rest over a window this long.
  const restPerOrder = (role: string) => ((atRest.get(role) ?? 0) / restSeconds) * windowSeconds * 1000 / n;
  console.log(`  ${'process'.padEnd(16)} ${'CPU-ms/order'.padStart(12)} ${'of it at rest'.padStart(13)} ${'SQL/order'.padStart(10)}`);
  for (const [role, seconds] of [...cpu].sort((a, b) => b[1] - a[1])) {
    if (seconds <= 0) continue;
    const statementsPerOrder = role === 'postgres' ? undefined : sql.get(role);
    console.log(`  ${role.padEnd(16)} ${((seconds * 1000) / n).toFixed(1).padStart(12)} ${restPerOrder(role).toFixed(1).padStart(13)} ${(statementsPerOrder !== undefined ? (statementsPerOrder / n).toFixed(1) : '').padStart(10)}`);
  }
  const allSql = [...sql].filter(([db]) => db !== 'postgres').reduce((a, [, c]) => a + c, 0);
  const restTotal = [...cpu.keys()].reduce((a, role) => a + restPerOrder(role), 0);
  console.log(`  ${'total'.padEnd(16)} ${((total * 1000) / n).toFixed(1).padStart(12)} ${restTotal.toFixed(1).padStart(13)} ${(allSql / n).toFixed(1).padStart(10)}   (${(n / total).toFixed(1)} orders per CPU-second)`);
  console.log(`  without the stack at rest: ${((total * 1000) / n - restTotal).toFixed(1)} CPU-ms per order (at rest, measured over ${restSeconds} s before the orders: ${(([...atRest.values()].reduce((a, b) => a + b, 0) / restSeconds) * 1000).toFixed(0)} CPU-ms/s)`);
  console.log(`  postgres by database, CPU-ms/order: ${[...pgCpu].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1]).map(([db, s]) => `${db} ${((s * 1000) / n).toFixed(1)}`).join(', ')}`);
  if (receiver) console.log(`  ${receiver.spans.length} spans received over OTLP`);
  // Calls per order, from the services' own counters: what each served (GraphQL requests by operation, the
  // router's subgraph fetches) and the BullMQ jobs each processed. The bench's own reads go to orders' database.
  const sum = (kind: string) => calls.filter(([key]) => key.split(' ')[1] === kind).reduce((a, [, c]) => a + c, 0) / n;
  console.log(`\ncalls per order: ${sum('graphql').toFixed(1)} GraphQL requests served (${(calls.filter(([key]) => key.startsWith('router graphql')).reduce((a, [, c]) => a + c, 0) / n).toFixed(1)} of them by the router), ${sum('fetch').toFixed(1)} router fetches, ${sum('job').toFixed(1)} BullMQ jobs`);
  for (const [key, count] of calls) console.log(`  ${(count / n).toFixed(2).padStart(6)}  ${key}`);
  if (statementsOf) {
    console.log(`\n${statementsOf}'s statements per order`);
    for (const [query, count] of grown(statementsBefore, statementsAfter)) console.log(`  ${(count / n).toFixed(2).padStart(6)}  ${query.replace(/\s+/g, " ").slice(0, 400)}`);
  }
} finally {
  await counter.end();
  await ordersDb.end();
  await stack.stop();
  await receiver?.stop();
}
