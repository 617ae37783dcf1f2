import { ENTITY_CHANGED_CHANNEL, type EntityChangedMessage, type Logger, OutboxQueuePublisher, PRICE_CHANGED_QUEUE, type PriceChangedEvent, type Redis } from '@shopgraph/kit';
import { outbox } from '../db/schema.ts';

/**
 * Publishes the price changes `setPrice` writes to the outbox: a job on PRICE_CHANGED_QUEUE per change for
 * any consumer (price alerts, search indexes), and an entity-changed message so that routers drop the
 * product's cached price at once instead of serving it until its max-age.
 */
export function createPriceChangePublisher(options: { databaseUrl: string; redisUrl: string; queuePrefix: string; redis: Redis; logger: Logger }) {
  return new OutboxQueuePublisher<PriceChangedEvent>({
    databaseUrl: options.databaseUrl,
    table: outbox,
    queueName: PRICE_CHANGED_QUEUE,
    settings: { redisUrl: options.redisUrl, prefix: options.queuePrefix, logger: options.logger },
    pubsub: {
      redis: options.redis,
      messages: (event) => [[ENTITY_CHANGED_CHANNEL, JSON.stringify({ typename: 'Product', id: event.payload.productId } satisfies EntityChangedMessage)]],
    },
  });
}
