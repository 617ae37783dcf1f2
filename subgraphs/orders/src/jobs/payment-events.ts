import { createWorker, type Job, type Logger, PAYMENT_STATUS_QUEUE, type PaymentStatusEvent, type QueueSettings } from '@shopgraph/kit';
import type { Worker } from 'bullmq';
import type { PaymentEventsService } from '../services/payment-events.service.ts';

/** Consumes payments' status events (PAYMENT_STATUS_QUEUE) and moves fully refunded orders to REFUNDED. */
export function startPaymentEventsWorker(options: { settings: QueueSettings; events: PaymentEventsService; logger: Logger }): Worker<PaymentStatusEvent> {
  return createWorker<PaymentStatusEvent>(
    PAYMENT_STATUS_QUEUE,
    async (job: Job<PaymentStatusEvent>) => ({ outcome: await options.events.apply(job.data) }),
    options.settings,
    { concurrency: 5 },
  );
}
