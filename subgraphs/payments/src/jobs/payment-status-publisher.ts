import { type Database, OutboxQueuePublisher, PAYMENT_STATUS_QUEUE, type PaymentStatusEvent, type QueueSettings } from '@shopgraph/kit';
import { outbox, type schema } from '../db/schema.ts';

/** Publishes payment status changes from the outbox as jobs on PAYMENT_STATUS_QUEUE (consumed by orders). */
export class PaymentStatusPublisher extends OutboxQueuePublisher<PaymentStatusEvent> {
  constructor(db: Database<typeof schema>, settings: QueueSettings) {
    super({ db: db as unknown as Database<Record<string, unknown>>, table: outbox, queueName: PAYMENT_STATUS_QUEUE, settings });
  }
}
