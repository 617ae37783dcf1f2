import { createWorker, type Job, type QueueSettings, recoverableLock } from '@shopgraph/kit';
import { UnrecoverableError, type Worker } from 'bullmq';
import { PermanentDeliveryError } from '../channels/errors.ts';
import type { DispatcherService } from '../services/dispatcher.service.ts';
import { BACKOFF_TYPE, backoffDelay, DELIVERY_QUEUE, type DeliveryJob } from './delivery-queue.ts';

/**
 * Runs deliveries (DELIVERY_QUEUE): each job sends one message. Failures are retried with capped exponential
 * backoff; a permanent failure stops at once. A worker killed mid-job loses its lock and another worker (or
 * the restarted one) takes the job up again after `lockMs`.
 */
export function startDeliveryWorker(options: {
  settings: QueueSettings;
  dispatcher: DispatcherService;
  concurrency: number;
  lockMs: number;
  backoffMs: number;
  backoffMaxMs: number;
}): Worker<DeliveryJob> {
  return createWorker<DeliveryJob>(
    DELIVERY_QUEUE,
    async (job: Job<DeliveryJob>) => {
      const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      try {
        return { outcome: await options.dispatcher.dispatch(job.data.deliveryId, finalAttempt) };
      } catch (error) {
        if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    options.settings,
    {
      concurrency: options.concurrency,
      // A crashed worker's job is picked up again rather than failed.
      ...recoverableLock(options.lockMs),
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) =>
          type === BACKOFF_TYPE ? backoffDelay(attemptsMade, options.backoffMs, options.backoffMaxMs) : options.backoffMs,
      },
    },
  );
}
