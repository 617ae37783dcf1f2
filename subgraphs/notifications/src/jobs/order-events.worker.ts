import { createWorker, type Job, type Logger, orderStatusQueue, type OrderStatusEvent, type QueueSettings, recoverableLock, SubgraphCallError } from '@shopgraph/kit';
import { DelayedError, type Worker } from 'bullmq';
import type { PlannerService } from '../services/planner.service.ts';

/**
 * Consumes orders' status events (notifications' own queue of orders' fan-out, `orderStatusQueue('notifications')`,
 * job id = event id) and plans their deliveries.
 * Only this queue: shipment and payment events belong to orders (BullMQ workers on one queue compete), and
 * every one of them that matters reaches customers as an order status change anyway.
 *
 * While a subgraph the messages need is unreachable, the job waits `retryDelayMs` and tries again, without
 * spending one of the attempts orders gave it: an outage of users, orders or shipping delays mail, however long.
 */
export function startOrderEventsWorker(options: {
  settings: QueueSettings;
  planner: PlannerService;
  concurrency: number;
  lockMs: number;
  retryDelayMs: number;
  logger: Logger;
}): Worker<OrderStatusEvent> {
  return createWorker<OrderStatusEvent>(
    orderStatusQueue('notifications'),
    async (job: Job<OrderStatusEvent>, token?: string) => {
      try {
        return { outcome: await options.planner.handle(job.data) };
      } catch (error) {
        const unreachable = error instanceof SubgraphCallError && error.code === undefined;
        if (!unreachable || !token) throw error;
        options.logger.warn({ err: error, eventId: job.data.eventId }, 'message data unavailable: event delayed');
        await job.moveToDelayed(Date.now() + options.retryDelayMs, token);
        throw new DelayedError();
      }
    },
    options.settings,
    {
      concurrency: options.concurrency,
      // A crashed worker's job is picked up again rather than failed.
      ...recoverableLock(options.lockMs),
    },
  );
}
