import {
  type BuiltSubgraph,
  createSubgraphClient,
  createSubgraphServer,
  type DbHandle,
  loadTypeDefs,
  type Logger,
  type QueueSettings,
  type Redis,
  storageReadiness,
} from '@shopgraph/kit';
import type { Worker } from 'bullmq';
import { EmailChannel } from './channels/email.ts';
import { createPaymentsClient } from './clients/payments.ts';
import { SmsChannel } from './channels/sms.ts';
import { WebhookChannel } from './channels/webhook.ts';
import { createLoaders, type Context } from './context.ts';
import type { DeliveryRow, schema } from './db/schema.ts';
import type { NotificationsEnv } from './env.ts';
import { DeliveryQueue } from './jobs/delivery-queue.ts';
import { startDeliveryWorker } from './jobs/delivery.worker.ts';
import { startOrderEventsWorker } from './jobs/order-events.worker.ts';
import { resolvers } from './resolvers/index.ts';
import { DeliveriesService } from './services/deliveries.service.ts';
import { DispatcherService } from './services/dispatcher.service.ts';
import { OrderData } from './services/order-data.ts';
import { PlannerService } from './services/planner.service.ts';
import { PreferencesService } from './services/preferences.service.ts';
import { assertNoEviction } from './services/redis-policy.ts';
import { SecretBox } from './services/secret-box.ts';
import { InvoiceAttachments } from './services/invoice-attachments.ts';
import { WebhooksService } from './services/webhooks.service.ts';

export const typeDefs = loadTypeDefs(new URL('../schema.graphql', import.meta.url));

type Deps = { env: NotificationsEnv; db: DbHandle<typeof schema>; redis: Redis; logger: Logger };

/** The services of notifications over open connections, without HTTP (the worker process uses these too). */
export function createNotificationsCore(deps: Deps, hooks: { beforeSend?: (row: DeliveryRow) => void; afterSend?: (row: DeliveryRow) => Promise<void>; recordRetryMs?: number } = {}) {
  const { env, db, logger } = deps;
  const client = (url: string) => createSubgraphClient({ url, service: 'notifications', internalSecret: env.INTERNAL_SECRET, timeoutMs: env.INTERNAL_TIMEOUT_MS });
  const settings: QueueSettings = { redisUrl: env.REDIS_URL, prefix: env.QUEUE_PREFIX, logger };
  const policy = { allowPrivate: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS, allowLinkLocal: env.WEBHOOK_ALLOW_LINK_LOCAL };
  const smsConfig =
    env.SMS_API_URL && env.SMS_ACCOUNT_SID && env.SMS_AUTH_TOKEN && env.SMS_FROM
      ? { apiUrl: env.SMS_API_URL, accountSid: env.SMS_ACCOUNT_SID, authToken: env.SMS_AUTH_TOKEN, from: env.SMS_FROM, timeoutMs: env.WEBHOOK_TIMEOUT_MS }
      : null;
  const queue = new DeliveryQueue(settings, env.NOTIFY_MAX_ATTEMPTS);
  const preferences = new PreferencesService(db.db);
  const webhooks = new WebhooksService(db.db, new SecretBox(env.WEBHOOK_SECRET_KEY ?? env.INTERNAL_SECRET), policy);
  const deliveries = new DeliveriesService(db.db, queue);
  const orderData = new OrderData({ users: client(env.USERS_URL), orders: client(env.ORDERS_URL), shipping: client(env.SHIPPING_URL) });
  const planner = new PlannerService(db.db, { preferences, webhooks, orderData, queue, smsEnabled: smsConfig !== null, logger });
  const email = new EmailChannel({ smtpUrl: env.SMTP_URL, from: env.MAIL_FROM, poolSize: env.SMTP_POOL_SIZE, messageIdDomain: env.MAIL_MESSAGE_ID_DOMAIN });
  const dispatcher = new DispatcherService(db.db, {
    email,
    sms: smsConfig ? new SmsChannel(smsConfig) : null,
    webhook: new WebhookChannel({ policy, timeoutMs: env.WEBHOOK_TIMEOUT_MS }),
    webhooks,
    invoices: new InvoiceAttachments(createPaymentsClient(client(env.PAYMENTS_URL))),
    logger,
    ...(hooks.beforeSend ? { beforeSend: hooks.beforeSend } : {}),
    ...(hooks.afterSend ? { afterSend: hooks.afterSend } : {}),
    ...(hooks.recordRetryMs !== undefined ? { recordRetryMs: hooks.recordRetryMs } : {}),
    // A claim younger than the job lock may belong to a live attempt.
    claimLeaseMs: env.NOTIFY_LOCK_MS,
  });
  const workers: Worker[] = [];
  return {
    settings,
    queue,
    preferences,
    webhooks,
    deliveries,
    planner,
    dispatcher,
    workers,
    smsEnabled: smsConfig !== null,
    /** Starts the event and delivery workers. */
    async startWorkers() {
      if (!smsConfig) logger.info('SMS is disabled: set SMS_API_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM to enable it');
      workers.push(startOrderEventsWorker({ settings, planner, concurrency: env.NOTIFY_EVENTS_CONCURRENCY, lockMs: env.NOTIFY_LOCK_MS, retryDelayMs: env.NOTIFY_BACKOFF_MS, logger }));
      workers.push(startDeliveryWorker({ settings, dispatcher, queue, concurrency: env.NOTIFY_CONCURRENCY, lockMs: env.NOTIFY_LOCK_MS, backoffMs: env.NOTIFY_BACKOFF_MS, backoffMaxMs: env.NOTIFY_BACKOFF_MAX_MS }));
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    /** Lets active jobs finish, then closes workers, the queue and the SMTP pool. */
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
      email.close();
    },
  };
}

export type NotificationsCore = ReturnType<typeof createNotificationsCore>;

export interface NotificationsSubgraph extends BuiltSubgraph, NotificationsCore {}

/** Builds the notifications subgraph over an open database and Redis, with its workers running. */
export async function createNotificationsSubgraph(deps: Deps): Promise<NotificationsSubgraph> {
  const { env, db, redis, logger } = deps;
  const core = createNotificationsCore(deps);
  try {
    if (env.NOTIFY_WORKERS) await core.startWorkers();
    const http = await createSubgraphServer<Context>({
      name: 'notifications',
      typeDefs,
      resolvers,
      logger,
      env,
      context: (caller) => ({ caller, preferences: core.preferences, webhooks: core.webhooks, deliveries: core.deliveries, loaders: createLoaders(core.preferences) }),
      readiness: { ...storageReadiness(db, redis), redisEviction: () => assertNoEviction(redis) },
    });
    return { ...core, http, stop: core.close };
  } catch (error) {
    await core.close();
    throw error;
  }
}
