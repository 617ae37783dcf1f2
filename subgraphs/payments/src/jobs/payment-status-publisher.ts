import { OutboxQueuePublisher, PAYMENT_STATUS_QUEUE, type PaymentStatusEvent, type QueueSettings } from '@shopgraph/kit';
import { outbox } from '../db/schema.ts';

/** Publishes payment status changes from the outbox as jobs on PAYMENT_STATUS_QUEUE (consumed by orders). */
export class PaymentStatusPublisher extends OutboxQueuePublisher<PaymentStatusEvent> {
  constructor(databaseUrl: string, settings: QueueSettings) {
    super({ databaseUrl, table: outbox, queueName: PAYMENT_STATUS_QUEUE, settings });
  }
}
