import { createQueue, createWorker, type Job, type QueueSettings } from '@shopgraph/kit';
import type { Queue, Worker } from 'bullmq';
import type { ExpiryScheduler, ReservationService } from '../services/reservations.service.ts';

/** The queue of reservation expiries. */
export const RESERVATION_EXPIRY_QUEUE = 'inventory.reservation-expiry';

/** `expire`: one reservation, delayed until its expiresAt. `sweep`: every overdue reservation (periodic). */
export type ReservationExpiryJob = { kind: 'expire'; orderId: string } | { kind: 'sweep' };

/** One job per order: enqueueing again (a replayed reserveStock) is a no-op while the job exists. */
export const expiryJobId = (orderId: string) => `expire-${orderId}`;

const SWEEP_SCHEDULER_ID = 'sweep-overdue-reservations';

/**
 * Expires reservations nobody committed or released in time. Each reservation gets a delayed job; a
 * periodic sweep catches reservations whose job was never enqueued (a crash right after the reservation
 * committed, Redis unreachable at that moment). Expiring is idempotent, so duplicates are harmless.
 */
export class ReservationExpiry implements ExpiryScheduler {
  readonly queue: Queue<ReservationExpiryJob>;
  private worker: Worker<ReservationExpiryJob> | undefined;

  constructor(private readonly settings: QueueSettings & { sweepSeconds: number; concurrency: number }) {
    this.queue = createQueue<ReservationExpiryJob>(RESERVATION_EXPIRY_QUEUE, settings, {
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
    });
  }

  async schedule(orderId: string, expiresAt: Date): Promise<void> {
    await this.queue.add(
      'expire',
      { kind: 'expire', orderId },
      { jobId: expiryJobId(orderId), delay: Math.max(0, expiresAt.getTime() - Date.now()) },
    );
  }

  /** Starts the worker and (idempotently, across replicas) the periodic sweep. */
  async start(reservations: ReservationService): Promise<void> {
    const { logger } = this.settings;
    await this.queue.upsertJobScheduler(SWEEP_SCHEDULER_ID, { every: this.settings.sweepSeconds * 1_000 }, { name: 'sweep', data: { kind: 'sweep' } });
    this.worker = createWorker<ReservationExpiryJob>(
      RESERVATION_EXPIRY_QUEUE,
      async (job: Job<ReservationExpiryJob>) => {
        if (job.data.kind === 'sweep') {
          const expired = await reservations.expireOverdue();
          if (expired > 0) logger.warn({ expired }, 'expired overdue reservations that had no expiry job');
          return { expired };
        }
        const outcome = await reservations.expire(job.data.orderId);
        // The job ran before the database clock reached expiresAt: fail so that it is retried after a backoff.
        if (outcome === 'not-due') throw new Error(`Reservation of order ${job.data.orderId} is not due yet`);
        if (outcome === 'expired') logger.info({ orderId: job.data.orderId }, 'reservation expired');
        return { outcome };
      },
      this.settings,
      { concurrency: this.settings.concurrency },
    );
  }

  /** Lets running jobs finish, then closes the worker and the queue. */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
