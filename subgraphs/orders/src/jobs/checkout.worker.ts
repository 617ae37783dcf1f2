import { createQueue, createWorker, type Job, type Logger, type QueueSettings, recoverableLock } from '@shopgraph/kit';
import type { Queue, Worker } from 'bullmq';
import { counter } from '@shopgraph/kit/telemetry';
import type { CheckoutStarter } from '../services/checkout.service.ts';
import type { CheckoutSaga } from '../services/checkout-saga.ts';

/** The queue of checkout sagas: one job per order (job id = order id). */
export const CHECKOUT_QUEUE = 'orders.checkout';

export type CheckoutJob = { kind: 'checkout'; orderId: string } | { kind: 'sweep' };

/** Where checkout sagas ended, by the order's status (FULFILLING: success; REJECTED, PAYMENT_FAILED, CANCELLED…). */
const sagaOutcomes = () => counter('orders', 'shopgraph_checkout_saga_outcomes_total', 'Checkout saga runs by the order status they ended in', ['status']);

const SWEEP_SCHEDULER_ID = 'sweep-unfinished-checkouts';

export interface CheckoutQueueSettings extends QueueSettings {
  attempts: number;
  backoffMs: number;
}

/** Producer side: placeOrder and cancelOrder enqueue with it. */
export class CheckoutQueue implements CheckoutStarter {
  readonly queue: Queue<CheckoutJob>;

  constructor(settings: CheckoutQueueSettings) {
    this.queue = createQueue<CheckoutJob>(CHECKOUT_QUEUE, settings, {
      attempts: settings.attempts,
      backoff: { type: 'exponential', delay: settings.backoffMs },
      // Removed when done, so that a later start (a cancel's compensation) can enqueue the order again.
      removeOnComplete: true,
    });
  }

  async start(orderId: string): Promise<void> {
    await this.queue.add('checkout', { kind: 'checkout', orderId }, { jobId: orderId });
  }

  /**
   * Gets unfinished checkouts going again: an order whose job was lost (Redis unreachable at enqueue time)
   * or failed every attempt (a subgraph down for long).
   */
  async resume(orderIds: string[]): Promise<void> {
    for (const orderId of orderIds) {
      const job = await this.queue.getJob(orderId);
      if (!job) await this.start(orderId);
      else if (await job.isFailed()) await job.retry('failed');
    }
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

/**
 * The worker that runs checkout sagas. A job that throws is retried with exponential backoff; a worker that
 * dies mid-job loses its lock after `lockMs`, and the job runs again elsewhere (every step is idempotent).
 */
export function startCheckoutWorker(options: {
  settings: QueueSettings;
  saga: CheckoutSaga;
  queue: CheckoutQueue;
  unfinished: () => Promise<string[]>;
  logger: Logger;
  concurrency: number;
  lockMs: number;
  sweepSeconds?: number;
}): { worker: Worker<CheckoutJob>; ready: Promise<unknown> } {
  const { saga, logger } = options;
  const worker = createWorker<CheckoutJob>(
    CHECKOUT_QUEUE,
    async (job: Job<CheckoutJob>) => {
      if (job.data.kind === 'sweep') {
        const orderIds = await options.unfinished();
        await options.queue.resume(orderIds);
        return { resumed: orderIds.length };
      }
      const status = await saga.run(job.data.orderId);
      sagaOutcomes().inc({ status });
      logger.debug({ orderId: job.data.orderId, status }, 'checkout step done');
      return { status };
    },
    options.settings,
    {
      concurrency: options.concurrency,
      // A crashed worker's job is picked up again rather than failed.
      ...recoverableLock(options.lockMs),
    },
  );
  const ready = options.queue.queue.upsertJobScheduler(
    SWEEP_SCHEDULER_ID,
    { every: (options.sweepSeconds ?? 60) * 1_000 },
    { name: 'sweep', data: { kind: 'sweep' }, opts: { attempts: 1 } },
  );
  return { worker, ready };
}
