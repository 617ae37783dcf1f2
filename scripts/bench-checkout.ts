/**
 * `npm run bench:checkout`: checkout throughput and latency through the router, against a freshly started
 * stack (temporary data directory, free ports). N customers register, each adds a product to the cart and
 * places an order, all at once; then it waits until every order has left checkout (FULFILLING or a final
 * status) and prints placement and payment figures.
 *
 *   npm run bench:checkout -- --customers 50
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { startBenchStack } from './lib/bench-stack.ts';
import { call, numberArg, quantile } from './lib/bench.ts';

const customers = numberArg('customers', 50);
const DONE = new Set(['FULFILLING', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REJECTED', 'PAYMENT_FAILED', 'REFUNDED']);


const stack = await startBenchStack();
try {
  const url = stack.routerUrl;

  // A product with enough stock for everyone, priced in the shop's currency.
  const admin = (await call<{ login: { accessToken: string } }>(url, 'mutation { login(email: "admin@example.com", password: "admin-password-change-me") { accessToken } }')).login.accessToken;
  const sku = `BENCH-${randomBytes(3).toString('hex').toUpperCase()}`;
  const { createProduct } = await call<{ createProduct: { id: string } }>(url, 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input: { sku, name: `Bench ${sku}`, weightGrams: 400 } }, admin);
  const productId = createProduct.id;
  await call(url, 'mutation($id: ID!) { setPrice(productId: $id, amount: 1999, currency: "EUR") { amount } }', { id: productId }, admin);
  await call(url, 'mutation($id: ID!, $n: Int!) { adjustStock(productId: $id, delta: $n, reason: "benchmark") { available } }', { id: productId, n: customers * 2 }, admin);

  const tokens = await Promise.all(
    Array.from({ length: customers }, async (_, i) => {
      const input = { email: `bench-${i}-${randomBytes(4).toString('hex')}@example.com`, password: 'correct horse battery', name: `Bench ${i}` };
      return (await call<{ register: { accessToken: string } }>(url, 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }', { input })).register.accessToken;
    }),
  );
  console.log(`checkout benchmark: ${customers} customers checking out at once, on ${process.platform} with ${(await import('node:os')).cpus().length} cores`);

  const address = { recipientName: 'Bench', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
  const started = performance.now();
  const placed = await Promise.all(
    tokens.map(async (token) => {
      await call(url, 'mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { id } }', { id: productId }, token);
      const t0 = performance.now();
      const { placeOrder } = await call<{ placeOrder: { id: string } }>(
        url,
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
        { input: { shippingAddress: address, paymentToken: 'tok_visa', idempotencyKey: randomUUID() } },
        token,
      );
      return { id: placeOrder.id, token, latency: performance.now() - t0, placedAt: performance.now() };
    }),
  );
  const placedSeconds = (performance.now() - started) / 1000;

  // Follow every order until it leaves checkout.
  type History = { status: string; at: string };
  const outcomes = await Promise.all(
    placed.map(async (order) => {
      for (;;) {
        const { order: o } = await call<{ order: { status: string; statusHistory: History[] } }>(url, 'query($id: ID!) { order(id: $id) { status statusHistory { status at } } }', { id: order.id }, order.token);
        if (DONE.has(o.status)) return o;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }),
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

  console.log(`placed        ${(customers / placedSeconds).toFixed(1).padStart(7)} orders/s   (${customers} orders in ${placedSeconds.toFixed(2)} s, add to cart included)`);
  console.log(`reached PAID  ${(toPaid.length / ((lastPaid - firstPending) / 1000)).toFixed(1).padStart(7)} orders/s   (${toPaid.length} paid)`);
  console.log(`placeOrder    p50 ${quantile(latencies, 0.5).toFixed(1).padStart(7)} ms   p99 ${quantile(latencies, 0.99).toFixed(1).padStart(7)} ms`);
  console.log(`placed → PAID p50 ${quantile(toPaid.map((p) => p.ms), 0.5).toFixed(1).padStart(7)} ms   p99 ${quantile(toPaid.map((p) => p.ms), 0.99).toFixed(1).padStart(7)} ms`);
  console.log(`final statuses: ${statuses.map(([s, n]) => `${s} ${n}`).join(', ')}`);
} finally {
  await stack.stop();
}
