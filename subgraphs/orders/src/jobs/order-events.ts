import { type OrderStatusEvent, ORDER_STATUS_CHANNEL_PREFIX, ORDER_STATUS_QUEUE, OutboxQueuePublisher, type QueueSettings, type Redis } from '@shopgraph/kit';
import { outbox } from '../db/schema.ts';

/** Redis pub/sub channel of one customer's order status changes (for `myOrderUpdates`). */
export const customerChannel = (customerId: string) => `${ORDER_STATUS_CHANNEL_PREFIX}customer:${customerId}`;

/**
 * Publishes order status events from the outbox, at least once: to Redis pub/sub (`orders:status:<orderId>`
 * and the customer's channel) for live subscriptions, and as a BullMQ job on ORDER_STATUS_QUEUE for
 * notifications and other consumers. A batch of events is one pipeline of PUBLISH commands and one bulk add.
 */
export class OrderEventsPublisher extends OutboxQueuePublisher<OrderStatusEvent> {
  constructor(databaseUrl: string, redis: Redis, settings: QueueSettings) {
    super({
      databaseUrl,
      table: outbox,
      queueName: ORDER_STATUS_QUEUE,
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
