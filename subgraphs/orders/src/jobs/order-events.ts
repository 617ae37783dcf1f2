import { createQueue, type Logger, ORDER_STATUS_CHANNEL_PREFIX, ORDER_STATUS_QUEUE, type OrderStatusEvent, OutboxRelay, type QueueSettings, type Redis } from '@shopgraph/kit';
import type { Queue } from 'bullmq';
import type { Database } from '@shopgraph/kit';
import { outbox } from '../db/schema.ts';

/** Redis pub/sub channel of one customer's order status changes (for `myOrderUpdates`). */
export const customerChannel = (customerId: string) => `${ORDER_STATUS_CHANNEL_PREFIX}customer:${customerId}`;

/**
 * Publishes order status events from the outbox, at least once: to Redis pub/sub (`orders:status:<orderId>`
 * and the customer's channel) for live subscriptions, and as a BullMQ job on ORDER_STATUS_QUEUE (job id =
 * event id, so a republished event is not queued twice) for notifications and other consumers.
 */
export function createOrderEventsRelay(options: { db: Database<Record<string, unknown>>; redis: Redis; settings: QueueSettings; logger: Logger }): {
  relay: OutboxRelay;
  queue: Queue<OrderStatusEvent>;
} {
  const queue = createQueue<OrderStatusEvent>(ORDER_STATUS_QUEUE, options.settings, { attempts: 10, backoff: { type: 'exponential', delay: 1_000 } });
  const relay = new OutboxRelay({
    db: options.db,
    table: outbox,
    logger: options.logger,
    intervalMs: 250,
    publish: async (event) => {
      const payload = event.payload as OrderStatusEvent;
      const message = JSON.stringify(payload);
      await options.redis.publish(`${ORDER_STATUS_CHANNEL_PREFIX}${payload.orderId}`, message);
      await options.redis.publish(customerChannel(payload.customerId), message);
      await queue.add('status-changed', payload, { jobId: event.eventId });
    },
  });
  return { relay, queue };
}
