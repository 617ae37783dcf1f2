import { createWorker, type Job, type QueueSettings, recoverableLock } from '@shopgraph/kit';
import { UnrecoverableError, type Worker } from 'bullmq';
import { PermanentDeliveryError } from '../channels/errors.ts';
import { DeliveryBusyError, type DispatcherService, type DispatchOutcome } from '../services/dispatcher.service.ts';
import { BACKOFF_TYPE, backoffDelay, DELIVERY_QUEUE, type DeliveryJob, type DeliveryQueue } from './delivery-queue.ts';

/**
 * Runs deliveries (DELIVERY_QUEUE). A job of one delivery sends it; failures are retried with capped exponential
 * backoff, and a permanent failure stops at once. A job of a planned batch of emails sends them all at once
 * (their claims and their outcomes each one statement for the batch: `DispatcherService.dispatchMany`); each
 * email it could not send goes on as a job of its own, from its second attempt. A worker killed mid-job loses
 * its lock and another worker (or the restarted one) takes the job up again after `lockMs`.
 */
export function startDeliveryWorker(options: {
  settings: QueueSettings;
  dispatcher: DispatcherService;
  queue: DeliveryQueue;
  concurrency: number;
  lockMs: number;
  backoffMs: number;
  backoffMaxMs: number;
}): Worker<DeliveryJob> {
  const { dispatcher, queue } = options;
  return createWorker<DeliveryJob>(
    DELIVERY_QUEUE,
    async (job: Job<DeliveryJob>) => {
      if ('deliveryIds' in job.data) return { outcomes: await sendBatch(job.data.deliveryIds) };
      const finalAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      try {
        return { outcome: await dispatcher.dispatch(job.data.deliveryId, finalAttempt) };
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

  /**
   * The first attempt of a batch's emails. An email whose send failed (recorded FAILED), or that another attempt
   * holds, is retried by a job of its own; should that enqueue fail, the batch job fails and runs again (what
   * was sent is not sent twice).
   */
  async function sendBatch(ids: string[]): Promise<Array<DispatchOutcome | 'retrying' | 'dead'>> {
    const finalAttempt = queue.attempts <= 1;
    const settled = await dispatcher.dispatchMany(ids, finalAttempt);
    const retries: Array<{ id: string; spent: boolean }> = [];
    const outcomes = settled.map((result, i) => {
      if (result.status === 'fulfilled') return result.value;
      if (result.reason instanceof PermanentDeliveryError || finalAttempt) return 'dead' as const;
      retries.push({ id: ids[i]!, spent: !(result.reason instanceof DeliveryBusyError) });
      return 'retrying' as const;
    });
    await queue.retryAlone(retries, backoffDelay(1, options.backoffMs, options.backoffMaxMs));
    return outcomes;
  }
}
