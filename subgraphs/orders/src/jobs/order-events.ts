import { type OrderStatusEvent, ORDER_STATUS_CHANNEL_PREFIX, ORDER_STATUS_QUEUES, OutboxQueuePublisher, type QueueSettings, type Redis } from '@shopgraph/kit';
import { outbox } from '../db/schema.ts';

/** Redis pub/sub channel of one customer's order status changes (for `myOrderUpdates`). */
export const customerChannel = (customerId: string) => `${ORDER_STATUS_CHANNEL_PREFIX}customer:${customerId}`;

/**
 * Publishes order status events from the outbox, at least once: to Redis pub/sub (`orders:status:<orderId>`
 * and the customer's channel) for live subscriptions, and as a BullMQ job on each subscriber's queue
 * (ORDER_STATUS_QUEUES: notifications, recommendations), so every consumer receives every event. A batch of
 * events is one pipeline of PUBLISH commands and one Redis transaction adding its jobs to every queue.
 */
export class OrderEventsPublisher extends OutboxQueuePublisher<OrderStatusEvent> {
  constructor(databaseUrl: string, redis: Redis, settings: QueueSettings) {
    super({
      databaseUrl,
      table: outbox,
      queueName: ORDER_STATUS_QUEUES,
      settings,
      intervalMs: 250,
      pubsub: {
        redis,
        messages: ({ payload }) => {
          const message = JSON.stringify(payload);
          return [
            [`${ORDER_STATUS_CHANNEL_PREFIX}${payload.orderId}`, message],
            [customerChannel(payload.customerId), message],
          ];
        },
      },
    });
  }
}
