import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

const url = (port: number) => z.string().url().default(`http://127.0.0.1:${port}/graphql`);
const flag = z.enum(['true', 'false']).default('true').transform((v) => v === 'true');

/** The orders subgraph's variables, on top of every subgraph's. */
export const ordersEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4005),
  /** Subgraphs orders calls internally (checkout; users: whether a customer's account still exists). */
  USERS_URL: url(4001),
  PRODUCTS_URL: url(4002),
  INVENTORY_URL: url(4003),
  PRICING_URL: url(4004),
  PAYMENTS_URL: url(4006),
  SHIPPING_URL: url(4007),
  /** How long orders trusts that a customer's account exists before asking users again (0: every time). */
  ACCOUNT_CHECK_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  /** Timeout of each internal call, in milliseconds. */
  INTERNAL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Run the checkout saga worker in this process (false: a separate `src/worker.ts` process runs it). */
  CHECKOUT_WORKER: flag,
  /** Checkout jobs processed in parallel per process. */
  CHECKOUT_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(16),
  /** Attempts of a checkout job, and the first backoff delay (doubling) between them. */
  CHECKOUT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  CHECKOUT_BACKOFF_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  /** How long a worker's lock on a checkout job lasts; a crashed worker's job is picked up again after it. */
  CHECKOUT_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** How long stock stays reserved for an order waiting for its payment. */
  RESERVATION_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  /** Test-only fault hook (NODE_ENV=test): the worker process exits with 137 right after this saga step. */
  CHECKOUT_CRASH_AFTER: z.enum(['reserve', 'capture', 'commit', 'ship']).optional(),
};

export type OrdersEnv = z.infer<z.ZodObject<typeof ordersEnvShape>>;
