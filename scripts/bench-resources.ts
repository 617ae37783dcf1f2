/**
 * `node --import tsx scripts/bench-resources.ts [--customers 100] [--rounds 3]`: the figures behind the
 * resource requests and limits of deploy/kubernetes/. Starts the compiled stack as `npm start` does (temporary
 * data, free ports), then prints for every service process:
 *
 * - idle RSS a few seconds after ready (what a replica holds while nobody calls it: the memory request);
 * - peak RSS and CPU time while `--rounds` rounds of `--customers` concurrent checkouts run through the router
 *   (add to cart, place order, wait until every order left checkout): the memory limit is set well above the
 *   peak, the CPU request from the busy share of one core.
 *
 * Under `npm start` the checkout and notification workers run inside orders and notifications, so their
 * figures include the workers'.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startBenchStack } from './lib/bench-stack.ts';
import { call, numberArg, printCommand, processCpuSeconds } from './lib/bench.ts';
import { ROUTER, SUBGRAPHS } from './services.ts';

printCommand();

const customers = numberArg('customers', 100);
const rounds = numberArg('rounds', 3);
const DONE = new Set(['FULFILLING', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REJECTED', 'PAYMENT_FAILED', 'REFUNDED']);
const services = [ROUTER, ...SUBGRAPHS].map((s) => s.name);

/** RSS of a process in MB; 0 when it has ended (npm start restarts a crashed service: see `restarts`). */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

const stack = await startBenchStack();
try {
  const url = stack.routerUrl;
  const pids = Object.fromEntries(services.map((s) => [s, stack.pidOf(s)]));
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const idle = Object.fromEntries(services.map((s) => [s, rssMb(pids[s]!)]));

  const admin = (await call<{ login: { accessToken: string } }>(url, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }')).login.accessToken;
  const sku = `RES-${randomBytes(3).toString('hex').toUpperCase()}`;
  const { createProduct } = await call<{ createProduct: { id: string } }>(url, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku, name: `Resources ${sku}`, weightGrams: 400 } }, admin);
  const productId = createProduct.id;
  await call(url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 1999, currency: "EUR") { amount } }', { id: productId }, admin);
  await call(url, 'mutation($id: ID!, $n: Int!) { adjustStock(productId: $id, delta: $n, reason: "resources") { available } }', { id: productId, n: customers * rounds * 2 }, admin);

  const peak = { ...idle };
  const restarts: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const s of services) {
      const rss = rssMb(pids[s]!);
      if (rss > 0) {
        peak[s] = Math.max(peak[s]!, rss);
        continue;
      }
      restarts[s] = (restarts[s] ?? 0) + 1;
      try {
        pids[s] = stack.pidOf(s);
      } catch {
        // not restarted yet
      }
    }
  }, 250);
  const cpuBefore = Object.fromEntries(services.map((s) => [s, processCpuSeconds(pids[s]!)]));
  const started = performance.now();
  const address = { recipientName: 'Resources', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
  for (let round = 0; round < rounds; round += 1) {
    await Promise.all(
      Array.from({ length: customers }, async (_, i) => {
        const input = { email: `res-${round}-${i}-${randomBytes(4).toString('hex')}@example.com`, password: 'correct horse battery', name: `Resources ${i}` };
        const token = (await call<{ register: { accessToken: string } }>(url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', { input })).register.accessToken;
        await call(url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { id } }', { id: productId }, token);
        const { placeOrder } = await call<{ placeOrder: { id: string } }>(
          url,
          'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
          { input: { shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
          token,
        );
        for (;;) {
          const { order } = await call<{ order: { status: string } }>(url, 'query($id: ID!) { order(id: $id) { status } }', { id: placeOrder.id }, token);
          if (DONE.has(order.status)) return;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);

  console.log(`resources: ${rounds} rounds of ${customers} concurrent checkouts in ${seconds.toFixed(1)} s, on ${(await import('node:os')).cpus().length} cores`);
  console.log('service         idle RSS MB   peak RSS MB   CPU-s under load   busy share of one core');
  for (const s of services) {
    const cpu = processCpuSeconds(pids[s]!) - cpuBefore[s]!;
    const note = restarts[s] ? '  (process ended during the load; CPU from its restart on)' : '';
    console.log(`${s.padEnd(15)} ${idle[s]!.toFixed(0).padStart(11)} ${peak[s]!.toFixed(0).padStart(13)} ${cpu.toFixed(1).padStart(18)} ${(cpu / seconds).toFixed(2).padStart(24)}${note}`);
  }
} finally {
  await stack.stop();
}
