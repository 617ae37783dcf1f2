import { customerOrderStatusChannel, type OrderStatusEvent, ORDER_STATUS_CHANNEL_PREFIX, ORDER_STATUS_QUEUES, orderStatusQueuesOf, OutboxQueuePublisher, type QueueSettings, type Redis } from '@shopgraph/kit';
import { outbox } from '../db/schema.ts';

/**
 * Publishes order status events from the outbox, at least once: to Redis pub/sub (`orders:status:<orderId>`
 * and the customer's channel) for live subscriptions, every event, and as a BullMQ job on the queue of each
 * subscriber that acts on its status (ORDER_STATUS_INTERESTS: notifications, recommendations). A batch of events
 * is one pipeline of PUBLISH commands and one Redis transaction adding its jobs to their queues.
 */
export class OrderEventsPublisher extends OutboxQueuePublisher<OrderStatusEvent> {
  constructor(databaseUrl: string, redis: Redis, settings: QueueSettings) {
    super({
      databaseUrl,
      table: outbox,
      queueName: ORDER_STATUS_QUEUES,
      route: ({ status }) => orderStatusQueuesOf(status),
      settings,
      intervalMs: 250,
      pubsub: {
        redis,
        messages: ({ payload }) => {
          // Live subscriptions need the change, not the order's snapshot.
          const message = JSON.stringify({ ...payload, order: undefined });
          return [
            [`${ORDER_STATUS_CHANNEL_PREFIX}${payload.orderId}`, message],
            [customerOrderStatusChannel(payload.customerId), message],
          ];
        },
      },
    });
  }
}
