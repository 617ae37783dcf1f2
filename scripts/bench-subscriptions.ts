/**
 * `npm run bench:subscriptions`: federated subscriptions under load, against a freshly started stack per
 * run (temporary data directory, free ports, every service its own process as `npm start` runs them).
 * For each N it opens N WebSocket connections to the router, one `myOrderUpdates` subscription each,
 * spread over a few customers; then places orders through the router at a fixed rate. Each order's status
 * changes (PENDING, RESERVED, PAID, FULFILLING) reach every subscriber of its customer. It prints the delay
 * from the change's commit to its receipt, events expected and received, the router's memory per
 * subscription and the CPU of the router and orders while events flow. The smallest N runs once more with
 * a selection that needs products and payments per event.
 *
 *   npm run bench:subscriptions -- --subscribers 1000,5000,10000 --customers 50 --rate 2 --seconds 20 [--profile <dir>]
 *
 * `--customers` as many as `--subscribers` gives every subscriber a viewer of its own (nothing to share).
 *
 * `--changes <per second>`: instead of placing orders, publish that many status changes a second straight on
 * orders' Redis channels, as orders does when a change commits: the router and orders' fan-out at a rate that
 * checkout could not produce on this machine. Each customer first checks out one real order, unmeasured; the
 * changes continue its status sequence, round robin over the customers. The delay is then publish → client.
 * `--profile <dir>`: every process of the stack writes a V8 CPU profile into <dir> when it stops.
 *
 * Linux only: figures come from /proc/<pid>/status and /proc/<pid>/stat of the services' processes.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { customerOrderStatusChannel, type OrderStatusEvent } from '@shopgraph/kit';
import { decodeJwt } from 'jose';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { type BenchStack, startBenchStack } from './lib/bench-stack.ts';
import { call, listArg, numberArg, printCommand, processCpuSeconds, profilingEnv, quantile } from './lib/bench.ts';

printCommand();

const subscriberCounts = listArg('subscribers', [1000, 5000, 10000]);
const customers = numberArg('customers', 50);
const rate = numberArg('rate', 2);
const seconds = numberArg('seconds', 20);
const openConcurrency = numberArg('open-concurrency', 200);
const federated = !process.argv.includes('--no-federated');
const changesPerSecond = numberArg('changes', 0);

const ORDERS_ONLY = 'status sequence at order { number status }';
const FEDERATED = 'status sequence at order { number payment { status } items { product { name } } }';
const subscription = (selection: string) => `subscription { myOrderUpdates { ${selection} } }`;
/** Status changes of an order that goes through checkout without trouble. */
const CHECKOUT = ['PENDING', 'RESERVED', 'PAID', 'FULFILLING'];
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process, KiB. */
const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
const cpuSeconds = processCpuSeconds;
/** CPU time of `root` and all its descendants (the whole stack: services, PostgreSQL, Redis), seconds. */
const treeCpuSeconds = (root: number) => {
  const procs = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return [{ pid: Number(pid), ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICK }];
      } catch {
        return [];
      }
    });
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) grew = tree.add(p.pid).size > 0;
  }
  return procs.filter((p) => tree.has(p.pid)).reduce((sum, p) => sum + p.cpu, 0);
};
/** CPU time of the whole machine (every core, every process, not idle), seconds. */
const machineCpuSeconds = () => {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICK;
};
const selfCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** Runs `task` for 0..count-1 with at most `limit` at a time. */
async function bounded(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Waits until the router has been (nearly) idle for a second: the subscriptions are set up. */
async function settle(pid: number, maxMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const before = cpuSeconds(pid);
    await sleep(1_000);
    if (cpuSeconds(pid) - before < 0.05) return;
  }
}

interface Event {
  status: string;
  sequence: number;
  at: string;
  order: { number: string; [field: string]: unknown };
}

/** One subscriber: a graphql-ws (graphql-transport-ws) connection with one subscription, kept minimal. */
class Subscriber {
  /** Per event received: `<order number>:<sequence>`, status, `at` and receipt time (ms since the epoch). */
  readonly events: Array<{ key: string; status: string; at: number; receivedAt: number }> = [];
  received = 0;
  errors: string[] = [];
  outOfOrder = 0;
  duplicates = 0;
  closedEarly: string | null = null;
  private readonly last = new Map<string, number>();
  private socket!: WebSocket;
  private closing = false;

  constructor(
    readonly customer: number,
    private readonly onEvent: (event: Event) => void,
  ) {}

  /** Connects, authenticates and subscribes; resolves once the subscribe message is sent. */
  open(url: string, token: string, query: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no connection_ack within ${timeoutMs} ms`));
        this.socket.terminate();
      }, timeoutMs);
      this.socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
      this.socket.on('open', () => this.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
      this.socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      this.socket.on('close', (code, reason) => {
        clearTimeout(timer);
        if (!this.closing) {
          this.closedEarly = `${code} ${reason.toString()}`.trim();
          reject(new Error(`closed ${this.closedEarly}`));
        }
      });
      this.socket.on('message', (data) => {
        const receivedAt = Date.now();
        const message = JSON.parse(data.toString()) as { type: string; payload?: { data?: { myOrderUpdates?: Event }; errors?: Array<{ message: string }> } | Array<{ message: string }> };
        if (message.type === 'connection_ack') {
          clearTimeout(timer);
          this.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
          resolve();
        } else if (message.type === 'ping') {
          this.socket.send(JSON.stringify({ type: 'pong' }));
        } else if (message.type === 'next' && !Array.isArray(message.payload)) {
          if (message.payload?.errors?.length) this.errors.push(message.payload.errors[0]!.message);
          const event = message.payload?.data?.myOrderUpdates;
          if (!event) return;
          this.received += 1;
          this.events.push({ key: `${event.order.number}:${event.sequence}`, status: event.status, at: Date.parse(event.at), receivedAt });
          const last = this.last.get(event.order.number) ?? 0;
          if (event.sequence <= last) this.duplicates += 1;
          // An order's first event here may continue a sequence that began before this subscriber (`--changes`).
          else if (last > 0 && event.sequence !== last + 1) this.outOfOrder += 1;
          this.last.set(event.order.number, Math.max(last, event.sequence));
          this.onEvent(event);
        } else if (message.type === 'error') {
          this.errors.push(`subscription refused: ${JSON.stringify(message.payload)}`);
        } else if (message.type === 'complete') {
          this.errors.push('subscription completed by the server');
        }
      });
    });
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 5_000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ id: '1', type: 'complete' }));
      this.socket.close(1000);
    });
  }
}

/** `--changes`: a customer's real order, whose status sequence the benchmark continues. */
interface SyntheticOrder {
  id: string;
  number: string;
  customerId: string;
  sequence: number;
}

interface RunResult {
  label: string;
  subscribers: number;
  opened: number;
  openSeconds: number;
  placed: number;
  expected: number;
  received: number;
  delays: number[];
  /** Commit to Redis (the outbox relay), and Redis to the client (orders and the router), per delivery. */
  toRedis: number[];
  fromRedis: number[];
  byStatus: Map<string, number[]>;
  rss: { before: number; after: number };
  ordersRss: { before: number; after: number };
  cpu: { router: number; orders: number; products: number; payments: number; self: number; stack: number; machine: number; wall: number };
  loadavg: [number, number];
  openCpu: { router: number; orders: number };
  problems: string[];
}

async function run(label: string, n: number, query: string): Promise<RunResult> {
  const stack: BenchStack = await startBenchStack({
    env: {
      WS_MAX_CONNECTIONS_PER_IP: String(n + 100),
      WS_MAX_CONNECTIONS_PER_USER: String(Math.ceil(n / customers) + 10),
      // No demo carrier: only checkout moves orders, so every order makes exactly its checkout changes.
      DEMO_CARRIER_INTERVAL_SECONDS: '0',
      ...profilingEnv(),
    },
  });
  const subscribers: Subscriber[] = [];
  const closers: Array<() => Promise<void>> = [];
  try {
    const url = stack.routerUrl;
    const router = stack.pidOf('router');
    const orders = stack.pidOf('orders');
    const products = stack.pidOf('products');
    const payments = stack.pidOf('payments');
    const orderCount = Math.round(rate * seconds);

    // A product with enough stock, and the customers.
    const admin = (await call<{ login: { accessToken: string } }>(url, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }')).login.accessToken;
    const sku = `BENCH-${randomBytes(3).toString('hex').toUpperCase()}`;
    const { createProduct } = await call<{ createProduct: { id: string } }>(url, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku, name: `Bench ${sku}`, weightGrams: 400 } }, admin);
    const productId = createProduct.id;
    await call(url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 1999, currency: "EUR") { amount } }', { id: productId }, admin);
    await call(url, 'mutation($id: ID!, $n: Int!) { adjustStock(productId: $id, delta: $n, reason: "benchmark") { available } }', { id: productId, n: orderCount + customers + 10 }, admin);
    const tokens: string[] = [];
    await bounded(customers, 10, async (i) => {
      const input = { email: `bench-${i}-${randomBytes(4).toString('hex')}@example.com`, password: 'correct horse battery', name: `Bench ${i}` };
      tokens[i] = (await call<{ register: { accessToken: string } }>(url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', { input })).register.accessToken;
    });

    const address = { recipientName: 'Bench', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
    const placeOrder = async (token: string) => {
      await call(url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { id } }', { id: productId }, token);
      const { placeOrder: order } = await call<{ placeOrder: { id: string; number: string } }>(
        url,
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id number } }',
        { input: { shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
        token,
      );
      return order;
    };

    // Our own Redis subscriber sees each change when the relay publishes it, to split the delay in two.
    const tap = new Redis(`redis://127.0.0.1:${stack.ports.EMBEDDED_REDIS_PORT}`);
    const publishedAt = new Map<string, number>();
    tap.on('pmessage', (_pattern: string, _channel: string, message: string) => {
      const event = JSON.parse(message) as { orderNumber: string; sequence: number };
      // The first publication: orders publishes a change on commit, and its outbox relay once more after.
      const key = `${event.orderNumber}:${event.sequence}`;
      if (!publishedAt.has(key)) publishedAt.set(key, Date.now());
    });
    await tap.psubscribe(customerOrderStatusChannel('*'));
    closers.push(async () => void (await tap.quit()));

    // Warm-up: one subscriber sees one order through checkout, so every code path has run once.
    const warmup = new Subscriber(0, () => undefined);
    await warmup.open(url, tokens[0]!, query);
    await sleep(500);
    await placeOrder(tokens[0]!);
    for (let waited = 0; warmup.received < CHECKOUT.length && waited < 20_000; waited += 100) await sleep(100);
    await warmup.close();
    await settle(router);
    // `--changes`: every customer's order through checkout first, then its changes are published by the benchmark.
    let synthetic: SyntheticOrder[] | null = null;
    const publisher = new Redis(`redis://127.0.0.1:${stack.ports.EMBEDDED_REDIS_PORT}`);
    closers.push(async () => void (await publisher.quit()));
    if (changesPerSecond > 0) {
      const own: Array<{ id: string; number: string }> = [];
      await bounded(customers, 10, async (c) => void (own[c] = await placeOrder(tokens[c]!)));
      const ready: SyntheticOrder[] = [];
      await bounded(customers, 10, async (c) => {
        const customerId = decodeJwt(tokens[c]!).sub!;
        for (let waited = 0; ; waited += 200) {
          const { order: o } = await call<{ order: { status: string; statusHistory: unknown[] } }>(url, 'query($id: ID!) { order(id: $id) { status statusHistory { status } } }', { id: own[c]!.id }, tokens[c]);
          if (o.status === 'FULFILLING') return void (ready[c] = { id: own[c]!.id, number: own[c]!.number, customerId, sequence: o.statusHistory.length });
          if (waited > 120_000) throw new Error(`order ${own[c]!.id} is still ${o.status}`);
          await sleep(200);
        }
      });
      synthetic = ready;
      await settle(router);
    }
    const rssBefore = rssKiB(router);
    const ordersRssBefore = rssKiB(orders);

    // Open N connections, `openConcurrency` at a time; subscriber i follows customer i mod M.
    let deliveries = 0;
    const onEvent = () => void (deliveries += 1);
    const problems: string[] = [];
    const openFailures = new Map<string, number>();
    const openCpuRouter = cpuSeconds(router);
    const openCpuOrders = cpuSeconds(orders);
    const openStarted = performance.now();
    await bounded(n, openConcurrency, async (i) => {
      const subscriber = new Subscriber(i % customers, onEvent);
      try {
        await subscriber.open(url, tokens[i % customers]!, query);
        subscribers.push(subscriber);
      } catch (error) {
        const reason = (error as Error).message;
        openFailures.set(reason, (openFailures.get(reason) ?? 0) + 1);
      }
    });
    const openSeconds = (performance.now() - openStarted) / 1000;
    // Subscriptions are not acknowledged: they count as live once the router is idle again (a late one
    // would show as lost events below).
    await settle(router);
    const openCpu = { router: cpuSeconds(router) - openCpuRouter, orders: cpuSeconds(orders) - openCpuOrders };
    for (const [reason, count] of openFailures) problems.push(`${count} connections failed to open: ${reason}`);
    const rssAfter = rssKiB(router);
    const ordersRssAfter = rssKiB(orders);
    const perCustomer = Array.from({ length: customers }, (_, c) => subscribers.filter((s) => s.customer === c).length);

    // Drive: orders at a fixed rate, round robin over the customers; then wait for the events to arrive.
    const expectedIfClean = synthetic
      ? Array.from({ length: Math.round(changesPerSecond * seconds) }, (_, k) => perCustomer[k % customers]!).reduce((a, b) => a + b, 0)
      : Array.from({ length: orderCount }, (_, k) => CHECKOUT.length * perCustomer[k % customers]!).reduce((a, b) => a + b, 0);
    let expectedSynthetic = 0;
    // CPU seconds so far of each process of interest, the stack, the machine; and the wall clock.
    const cpuSnapshot = () => ({
      router: cpuSeconds(router),
      orders: cpuSeconds(orders),
      products: cpuSeconds(products),
      payments: cpuSeconds(payments),
      self: selfCpuSeconds(),
      stack: treeCpuSeconds(stack.pid),
      machine: machineCpuSeconds(),
      wall: performance.now(),
    });
    const cpu0 = cpuSnapshot();
    const load0 = loadavg()[0]!;
    const placements: Array<Promise<{ id: string; customer: number } | null>> = [];
    if (synthetic) {
      // Status changes published as orders publishes a committed one, continuing each customer's order.
      const changes = Math.round(changesPerSecond * seconds);
      for (let k = 0; k < changes; k += 1) {
        const due = cpu0.wall + (k * 1000) / changesPerSecond;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const order = synthetic[k % customers]!;
        order.sequence += 1;
        const event: OrderStatusEvent = { eventId: randomUUID(), orderId: order.id, orderNumber: order.number, customerId: order.customerId, status: 'SHIPPED', previousStatus: 'FULFILLING', sequence: order.sequence, reason: null, at: new Date().toISOString() };
        void publisher.publish(customerOrderStatusChannel(order.customerId), JSON.stringify(event));
        expectedSynthetic += perCustomer[k % customers]!;
      }
    }
    for (let k = 0; k < (synthetic ? 0 : orderCount); k += 1) {
      const due = cpu0.wall + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const customer = k % customers;
      placements.push(
        placeOrder(tokens[customer]!).then(
          (order) => ({ id: order.id, customer }),
          (error: unknown) => {
            problems.push(`placing an order failed: ${(error as Error).message}`);
            return null;
          },
        ),
      );
    }
    const placed = (await Promise.all(placements)).filter((p): p is { id: string; customer: number } => p !== null);
    // Until every event has arrived, or nothing has arrived for 10 s.
    let lastCount = -1;
    let quietSince = performance.now();
    while (deliveries < expectedIfClean && performance.now() - quietSince < 10_000) {
      if (deliveries !== lastCount) {
        lastCount = deliveries;
        quietSince = performance.now();
      }
      await sleep(50);
    }
    const cpu1 = cpuSnapshot();
    const load1 = loadavg()[0]!;
    await sleep(1_000); // anything late or duplicated

    // What should have arrived: each placed order's status history, times its customer's subscribers.
    let expected = expectedSynthetic;
    for (const order of placed) {
      const { order: o } = await call<{ order: { statusHistory: Array<{ status: string }> } }>(url, 'query($id: ID!) { order(id: $id) { statusHistory { status } } }', { id: order.id }, tokens[order.customer]);
      expected += o.statusHistory.length * perCustomer[order.customer]!;
      const statuses = o.statusHistory.map((h) => h.status).join(',');
      if (statuses !== CHECKOUT.join(',')) problems.push(`order ${order.id} went ${statuses}`);
    }
    const received = subscribers.reduce((sum, s) => sum + s.received, 0);
    const withErrors = subscribers.filter((s) => s.errors.length > 0);
    if (withErrors.length) problems.push(`${withErrors.length} subscribers got errors, e.g. ${withErrors[0]!.errors[0]}`);
    const dropped = subscribers.filter((s) => s.closedEarly);
    if (dropped.length) problems.push(`${dropped.length} connections closed by the server, e.g. ${dropped[0]!.closedEarly}`);
    const outOfOrder = subscribers.reduce((sum, s) => sum + s.outOfOrder, 0);
    const duplicates = subscribers.reduce((sum, s) => sum + s.duplicates, 0);
    if (outOfOrder) problems.push(`${outOfOrder} events skipped a sequence number`);
    if (duplicates) problems.push(`${duplicates} events delivered twice`);
    const silent = subscribers.filter((s) => s.received === 0 && perCustomer[s.customer]! > 0 && placed.some((p) => p.customer === s.customer)).length;
    if (silent) problems.push(`${silent} subscribers whose customer placed orders received nothing`);

    const events = subscribers.flatMap((s) => s.events);
    const sorted = (values: number[]) => values.sort((a, b) => a - b);
    const byStatus = new Map<string, number[]>();
    for (const e of events) {
      if (!byStatus.has(e.status)) byStatus.set(e.status, []);
      byStatus.get(e.status)!.push(e.receivedAt - e.at);
    }
    for (const values of byStatus.values()) sorted(values);
    const published = events.filter((e) => publishedAt.has(e.key));
    return {
      label,
      subscribers: n,
      opened: subscribers.length,
      openSeconds,
      placed: placed.length,
      expected,
      received,
      delays: sorted(events.map((e) => e.receivedAt - e.at)),
      toRedis: sorted(published.map((e) => publishedAt.get(e.key)! - e.at)),
      fromRedis: sorted(published.map((e) => e.receivedAt - publishedAt.get(e.key)!)),
      byStatus,
      rss: { before: rssBefore, after: rssAfter },
      ordersRss: { before: ordersRssBefore, after: ordersRssAfter },
      cpu: {
        router: cpu1.router - cpu0.router,
        orders: cpu1.orders - cpu0.orders,
        products: cpu1.products - cpu0.products,
        payments: cpu1.payments - cpu0.payments,
        self: cpu1.self - cpu0.self,
        stack: cpu1.stack - cpu0.stack,
        machine: cpu1.machine - cpu0.machine,
        wall: (cpu1.wall - cpu0.wall) / 1000,
      },
      loadavg: [load0, load1],
      openCpu,
      problems,
    };
  } catch (error) {
    // What the stack logged (warnings and errors) says why a request failed.
    console.error(`the stack's last log lines:\n${stack.output().split('\n').slice(-40).join('\n')}`);
    throw error;
  } finally {
    await Promise.all(subscribers.map((s) => s.close()));
    for (const close of closers) await close();
    await stack.stop();
  }
}

/** CPU-ms per event received over the drive, of `cpuSeconds` (one process's or the stack's). */
const perEvent = (r: RunResult, cpuSeconds: number) => (r.received ? ((cpuSeconds * 1000) / r.received).toFixed(2) : 'n/a');

function report(r: RunResult): void {
  const ms = (v: number) => `${v.toFixed(0).padStart(5)} ms`;
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
  const pct = (cpu: number) => `${((cpu / r.cpu.wall) * 100).toFixed(0)}%`;
  console.log(`\n${r.label}: ${r.subscribers} subscribers (${r.opened} opened in ${r.openSeconds.toFixed(1)} s, ${(r.opened / r.openSeconds).toFixed(0)}/s)`);
  console.log(`  events        expected ${r.expected}, received ${r.received}${r.received === r.expected ? '' : `  (${r.expected - r.received} LOST)`}   from ${r.placed} orders`);
  console.log(`  delay         p50 ${ms(quantile(r.delays, 0.5))}   p95 ${ms(quantile(r.delays, 0.95))}   p99 ${ms(quantile(r.delays, 0.99))}   max ${ms(r.delays.at(-1) ?? NaN)}`);
  const split = (values: number[]) => `p50 ${ms(quantile(values, 0.5))}   p95 ${ms(quantile(values, 0.95))}   p99 ${ms(quantile(values, 0.99))}   max ${ms(values.at(-1) ?? NaN)}`;
  console.log(`    commit → Redis   ${split(r.toRedis)}   (orders publishes on commit, its outbox relay again; seen by the benchmark's own Redis subscriber)`);
  console.log(`    Redis → client   ${split(r.fromRedis)}   (orders → router → client)`);
  console.log(`    p50/p99 by status  ${[...r.byStatus.keys()].map((s) => `${s} ${quantile(r.byStatus.get(s) ?? [], 0.5).toFixed(0)}/${quantile(r.byStatus.get(s) ?? [], 0.99).toFixed(0)}`).join('   ')} ms`);
  console.log(`  router RSS    ${mib(r.rss.before)} → ${mib(r.rss.after)}   ${((r.rss.after - r.rss.before) / r.subscribers).toFixed(1)} KiB per subscription`);
  console.log(`  orders RSS    ${mib(r.ordersRss.before)} → ${mib(r.ordersRss.after)}   ${((r.ordersRss.after - r.ordersRss.before) / r.subscribers).toFixed(1)} KiB per subscription`);
  console.log(`  opening CPU   router ${r.openCpu.router.toFixed(1)} s, orders ${r.openCpu.orders.toFixed(1)} s`);
  console.log(
    `  drive CPU     router ${r.cpu.router.toFixed(1)} s (${pct(r.cpu.router)} of a core), orders ${r.cpu.orders.toFixed(1)} s (${pct(r.cpu.orders)}), load generator ${r.cpu.self.toFixed(1)} s (${pct(r.cpu.self)}) over ${r.cpu.wall.toFixed(1)} s; products ${r.cpu.products.toFixed(1)} s, payments ${r.cpu.payments.toFixed(1)} s`,
  );
  const others = r.cpu.machine - r.cpu.stack - r.cpu.self;
  console.log(
    `  machine CPU   ${r.cpu.machine.toFixed(1)} s busy of ${(r.cpu.wall * cpus().length).toFixed(1)} (${((r.cpu.machine / (r.cpu.wall * cpus().length)) * 100).toFixed(0)}% of ${cpus().length} cores): whole stack ${r.cpu.stack.toFixed(1)} s, load generator ${r.cpu.self.toFixed(1)} s, other processes ${others.toFixed(1)} s; load average ${r.loadavg[0].toFixed(1)} → ${r.loadavg[1].toFixed(1)}`,
  );
  console.log(`  per event     router ${perEvent(r, r.cpu.router)} CPU-ms, orders ${perEvent(r, r.cpu.orders)}, whole stack ${perEvent(r, r.cpu.stack)} per event received (drive CPU ÷ ${r.received} events)`);
  for (const problem of r.problems.slice(0, 10)) console.log(`  PROBLEM       ${problem}`);
  if (r.problems.length > 10) console.log(`  PROBLEM       … and ${r.problems.length - 10} more`);
}

console.log(
  `subscription benchmark on ${process.platform} with ${cpus().length} cores; the load generator (this process) shares them with the stack.\n` +
    `One WebSocket connection per subscriber, opened ${openConcurrency} at a time; subscribers spread evenly over ${customers} customers, each on myOrderUpdates.\n` +
    (changesPerSecond > 0
      ? `Drive: ${changesPerSecond} status changes/s for ${seconds} s published on orders' Redis channels (after one real checkout per customer), round robin over the customers; each delivered to every subscriber of its customer; its \`at\` is when it was published.\n`
      : `Drive: ${rate} orders/s for ${seconds} s through the router, round robin over the customers; each order makes ${CHECKOUT.length} status changes, each delivered to every subscriber of its customer.\n`) +
    `Delay: client receipt − the change's \`at\` (now() of the orders transaction that wrote it, i.e. just before commit). Drive CPU: from the first order until the last event arrived.\n` +
    `Each run starts a fresh stack (RSS before = after a warm-up order with one subscriber).`,
);
const results: RunResult[] = [];
for (const n of subscriberCounts) {
  const result = await run(`orders-only selection { ${ORDERS_ONLY} }`, n, subscription(ORDERS_ONLY));
  report(result);
  results.push(result);
}
if (federated) {
  const n = Math.min(...subscriberCounts);
  const result = await run(`federated selection (orders, payments, products per event) { ${FEDERATED} }`, n, subscription(FEDERATED));
  report(result);
  results.push(result);
}
console.log('\nsubscribers  selection   received/expected   p50 ms   p99 ms   router KiB/sub   router CPU   orders CPU   router CPU-ms/event');
for (const r of results) {
  const kind = r.label.startsWith('federated') ? 'federated' : 'orders';
  console.log(
    `${String(r.subscribers).padStart(11)}  ${kind.padEnd(10)}  ${`${r.received}/${r.expected}`.padStart(17)}   ${quantile(r.delays, 0.5).toFixed(0).padStart(6)}   ${quantile(r.delays, 0.99).toFixed(0).padStart(6)}   ${((r.rss.after - r.rss.before) / r.subscribers).toFixed(1).padStart(14)}   ${`${((r.cpu.router / r.cpu.wall) * 100).toFixed(0)}%`.padStart(10)}   ${`${((r.cpu.orders / r.cpu.wall) * 100).toFixed(0)}%`.padStart(10)}   ${perEvent(r, r.cpu.router).padStart(19)}`,
  );
}
