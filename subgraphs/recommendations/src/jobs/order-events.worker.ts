import { createWorker, type Job, orderStatusQueue, type OrderStatusEvent, type QueueSettings, recoverableLock } from '@shopgraph/kit';
import type { Worker } from 'bullmq';
import type { LearningService } from '../services/learning.service.ts';

/**
 * Consumes recommendations' own queue of orders' status-event fan-out (`orderStatusQueue('recommendations')`,
 * job id = event id): every paid order becomes purchases and updates the serving model; the event's id is
 * recorded with the change, so a redelivered event changes nothing.
 */
export function startOrderEventsWorker(options: { settings: QueueSettings; learning: LearningService; concurrency: number }): Worker<OrderStatusEvent> {
  return createWorker<OrderStatusEvent>(
    orderStatusQueue('recommendations'),
    async (job: Job<OrderStatusEvent>) => ({ outcome: await options.learning.handleOrderEvent(job.data) }),
    options.settings,
    { concurrency: options.concurrency, ...recoverableLock(30_000) },
  );
}
