import {
  type BuiltSubgraph,
  connectDb,
  createSubgraphClient,
  createSubgraphServer,
  type DbHandle,
  loadTypeDefs,
  type Logger,
  type QueueSettings,
  type Redis,
  RedisPubSub,
  storageReadiness,
} from '@shopgraph/kit';
import type { Worker } from 'bullmq';
import { createLoaders, type Context } from './context.ts';
import { schema } from './db/schema.ts';
import type { OrdersEnv } from './env.ts';
import { CheckoutQueue, startCheckoutWorker } from './jobs/checkout.worker.ts';
import { OrderEventsPublisher } from './jobs/order-events.ts';
import { startPaymentEventsWorker } from './jobs/payment-events.ts';
import { startShipmentEventsWorker } from './jobs/shipment-events.ts';
import { resolvers } from './resolvers/index.ts';
import { CartService } from './services/cart.service.ts';
import { CheckoutService } from './services/checkout.service.ts';
import { CheckoutSaga, type SagaStep } from './services/checkout-saga.ts';
import { accountLookup, LiveAccounts } from './services/accounts.ts';
import { checkoutPorts, type CheckoutPorts } from './services/clients.ts';
import { ORDER_STATUS_EVENT, OrderStore } from './services/order-store.ts';
import { OrdersService } from './services/orders.service.ts';
import { PaymentEventsService } from './services/payment-events.service.ts';
import { ShipmentEventsService } from './services/shipment-events.service.ts';
import { OrderStatusStreams } from './services/status-streams.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

export interface OrdersSubgraph extends BuiltSubgraph {
  orders: OrdersService;
  checkout: CheckoutService;
  carts: CartService;
  saga: CheckoutSaga;
  store: OrderStore;
  shipmentEvents: ShipmentEventsService;
  paymentEvents: PaymentEventsService;
  /** Live status streams behind the Subscription fields. */
  statusStreams: OrderStatusStreams;
  checkoutQueue: CheckoutQueue;
  relay: OrderEventsPublisher['relay'];
  ports: CheckoutPorts;
  /** The BullMQ workers this process runs (checkout, shipment events, payment events). */
  workers: Worker[];
}

type Deps = { env: OrdersEnv; db: DbHandle<typeof schema>; redis: Redis; logger: Logger };

/** The services of orders over open connections, without HTTP or workers (the worker process uses these too). */
export function createOrdersCore(deps: Deps, afterStep?: (step: SagaStep) => void) {
  const { env, db, redis, logger } = deps;
  const client = (url: string) => createSubgraphClient({ url, service: 'orders', internalSecret: env.INTERNAL_SECRET, timeoutMs: env.INTERNAL_TIMEOUT_MS });
  const ports = checkoutPorts({
    products: client(env.PRODUCTS_URL),
    pricing: client(env.PRICING_URL),
    inventory: client(env.INVENTORY_URL),
    payments: client(env.PAYMENTS_URL),
    shipping: client(env.SHIPPING_URL),
  });
  const settings: QueueSettings = { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logger };
  const events = new OrderEventsPublisher(env.DATABASE_URL, redis, settings);
  const store = new OrderStore(db.db, (committed) => {
    events.relay.nudge();
    // Live subscriptions hear of the change now; the relay publishes it again, at least once.
    events.publishAhead(committed.map((payload) => ({ eventId: payload.eventId, type: ORDER_STATUS_EVENT, payload })));
  });
  const checkoutQueue = new CheckoutQueue({ ...settings, attempts: env.CHECKOUT_ATTEMPTS, backoffMs: env.CHECKOUT_BACKOFF_MS });
  const saga = new CheckoutSaga(db.db, ports, store, logger, { reservationTtlSeconds: env.RESERVATION_TTL_SECONDS, afterStep });
  const carts = new CartService(db.db, ports);
  const checkout = new CheckoutService(db.db, ports, store, carts, checkoutQueue);
  const orders = new OrdersService(db.db, store, ports, saga, checkoutQueue, logger);
  const shipmentEvents = new ShipmentEventsService(db.db, store);
  const workers: Worker[] = [];
  return {
    ports,
    settings,
    store,
    saga,
    carts,
    checkout,
    orders,
    shipmentEvents,
    checkoutQueue,
    relay: events.relay,
    /** Starts the checkout saga worker. */
    async startCheckoutWorker() {
      const started = startCheckoutWorker({
        settings,
        saga,
        queue: checkoutQueue,
        unfinished: () => orders.unfinished(),
        logger,
        concurrency: env.CHECKOUT_CONCURRENCY,
        lockMs: env.CHECKOUT_LOCK_MS,
      });
      workers.push(started.worker);
      await started.ready;
    },
    /** Lets running jobs finish, then closes workers, queues and the relay. */
    async close() {
      for (const worker of workers) await worker.close();
      await events.close();
      await checkoutQueue.close();
    },
    workers,
  };
}

/** Builds the orders subgraph over an open database and Redis, with its relay and workers running. */
export async function createOrdersSubgraph(deps: Deps): Promise<OrdersSubgraph> {
  const { env, db, redis, logger } = deps;
  const core = createOrdersCore(deps);
  // Payment events arrive whenever payments changes a payment, most of them caused by the saga itself: they
  // run on a small pool of their own, so they never wait behind (or delay) requests, and a request's SQL
  // statements are all its own.
  const eventsDb = connectDb(env.DATABASE_URL, schema, { max: 2 });
  const paymentEvents = new PaymentEventsService(eventsDb.db, core.store);
  const pubsub = new RedisPubSub(redis, logger);
  const statusStreams = new OrderStatusStreams(db.db, pubsub, logger);
  const accounts = new LiveAccounts(
    accountLookup(createSubgraphClient({ url: env.USERS_URL, service: 'orders', internalSecret: env.INTERNAL_SECRET, timeoutMs: env.INTERNAL_TIMEOUT_MS })),
    env.ACCOUNT_CHECK_CACHE_SECONDS,
  );
  const close = async () => {
    await core.close();
    await pubsub.close();
    await eventsDb.close();
  };
  try {
    core.relay.start();
    if (env.CHECKOUT_WORKER) await core.startCheckoutWorker();
    core.workers.push(startShipmentEventsWorker({ settings: core.settings, events: core.shipmentEvents, logger }));
    core.workers.push(startPaymentEventsWorker({ settings: core.settings, events: paymentEvents, logger }));
    const http = await createSubgraphServer<Context>({
      name: 'orders',
      typeDefs,
      resolvers,
      logger,
      env,
      context: (caller) => ({
        caller,
        orders: core.orders,
        checkout: core.checkout,
        carts: core.carts,
        accounts,
        statusStreams,
        loaders: createLoaders(core.orders, core.carts),
      }),
      readiness: storageReadiness(db, redis),
    });
    return { ...core, paymentEvents, statusStreams, http, stop: close };
  } catch (error) {
    await close();
    throw error;
  }
}
