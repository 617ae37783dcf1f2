import { createQueue, type Queue, type QueueSettings } from '@shopgraph/kit';

/** BullMQ queue of single deliveries: one job per delivery row (job id = delivery id). */
export const DELIVERY_QUEUE = 'notifications.deliveries';

export interface DeliveryJob {
  deliveryId: string;
}

/** The job id of a delivery: its id, plus the resend count once an admin sent it again (a new job). */
export const deliveryJobId = (deliveryId: string, resends: number) => (resends === 0 ? deliveryId : `${deliveryId}-resend-${resends}`);

/** Backoff between attempts: `base` doubling per attempt, capped at `max`, with a little jitter. */
export function backoffDelay(attemptsMade: number, baseMs: number, maxMs: number): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exponential * (0.9 + Math.random() * 0.2));
}

export const BACKOFF_TYPE = 'capped-exponential';

/** The producer side: enqueues deliveries with the configured attempts and backoff. */
export class DeliveryQueue {
  readonly queue: Queue<DeliveryJob>;

  constructor(settings: QueueSettings, readonly attempts: number) {
    this.queue = createQueue<DeliveryJob>(DELIVERY_QUEUE, settings, {
      attempts,
      backoff: { type: BACKOFF_TYPE },
      // Failed jobs are all in the delivery log (DEAD); Redis keeps them a day for inspection.
      removeOnFail: { age: 24 * 3600 },
      removeOnComplete: { age: 3600, count: 10_000 },
    });
  }

  /** Enqueues each delivery once (a job with the same id that still exists is left alone). */
  async enqueue(rows: Array<{ id: string; resends: number }>): Promise<void> {
    if (rows.length === 0) return;
    await this.queue.addBulk(rows.map((row) => ({ name: 'deliver', data: { deliveryId: row.id }, opts: { jobId: deliveryJobId(row.id, row.resends) } })));
  }

  /** Removes a delivery's job unless a worker holds it right now. */
  async remove(deliveryId: string, resends: number): Promise<void> {
    await this.queue.remove(deliveryJobId(deliveryId, resends)).catch(() => 0);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
