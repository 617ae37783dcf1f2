import { createQueue, type Queue, type QueueSettings } from '@shopgraph/kit';

/**
 * BullMQ queue of deliveries. The emails an event batch planned travel as one job (`deliveryIds`, job id
 * `batch-<first id>`); every other delivery, and every email that needs another attempt, as a job of its own
 * (`deliveryId`, job id = delivery id).
 */
export const DELIVERY_QUEUE = 'notifications.deliveries';

export type DeliveryJob = { deliveryId: string } | { deliveryIds: string[] };

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

  /**
   * Enqueues freshly planned deliveries: the emails together as one job (one SMTP relay sends them all, and a
   * job costs Redis and the worker what one email costs the rest of the stack), webhook calls and SMS one job
   * each (their endpoints' latency is unknown: one slow endpoint must not hold a batch of mail).
   */
  async enqueuePlanned(rows: Array<{ id: string; resends: number; channel: string }>): Promise<void> {
    const emails = rows.filter((row) => row.channel === 'EMAIL' && row.resends === 0);
    if (emails.length < 2) return this.enqueue(rows);
    const others = rows.filter((row) => !emails.includes(row));
    await this.queue.addBulk([
      { name: 'deliver-batch', data: { deliveryIds: emails.map((row) => row.id) }, opts: { jobId: `batch-${emails[0]!.id}` } },
      ...others.map((row) => ({ name: 'deliver', data: { deliveryId: row.id }, opts: { jobId: deliveryJobId(row.id, row.resends) } })),
    ]);
  }

  /**
   * Deliveries of a batch job that were not sent, each as a job of its own from their second attempt on: after
   * the first backoff delay, with the attempts that remain (`spent`: whether the batch's attempt counts).
   */
  async retryAlone(ids: Array<{ id: string; spent: boolean }>, firstDelayMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.queue.addBulk(
      ids.map(({ id, spent }) => ({
        name: 'deliver',
        data: { deliveryId: id },
        opts: { jobId: deliveryJobId(id, 0), delay: firstDelayMs, attempts: spent ? Math.max(1, this.attempts - 1) : this.attempts },
      })),
    );
  }

  /** Removes a delivery's job unless a worker holds it right now. */
  async remove(deliveryId: string, resends: number): Promise<void> {
    await this.queue.remove(deliveryJobId(deliveryId, resends)).catch(() => 0);
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
