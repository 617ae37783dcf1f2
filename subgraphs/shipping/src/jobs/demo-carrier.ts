import { createQueue, createWorker, type QueueSettings } from '@shopgraph/kit';
import type { CarrierUpdatesService } from '../services/carrier-updates.service.ts';

/** The queue of the demo carrier's rounds. */
export const DEMO_CARRIER_QUEUE = 'shipping.demo-carrier';
const SCHEDULER_ID = 'demo-carrier-advance';

/**
 * A pretend carrier for demos (DEMO_CARRIER_INTERVAL_SECONDS > 0): a BullMQ job scheduler runs a round every
 * interval, once across all replicas, and each round moves every parcel on its way one step
 * (LABEL_CREATED → IN_TRANSIT → OUT_FOR_DELIVERY → DELIVERED) through the same CarrierUpdatesService.apply
 * as the carrier webhook. Off (0) removes the scheduler a previous run may have left.
 */
export class DemoCarrier {
  private worker: ReturnType<typeof createWorker> | undefined;

  constructor(private readonly settings: QueueSettings & { intervalSeconds: number }) {}

  async start(carrier: CarrierUpdatesService): Promise<void> {
    const { intervalSeconds, logger } = this.settings;
    const queue = createQueue(DEMO_CARRIER_QUEUE, this.settings, { attempts: 1 });
    try {
      if (intervalSeconds === 0) {
        await queue.removeJobScheduler(SCHEDULER_ID);
        return;
      }
      await queue.upsertJobScheduler(SCHEDULER_ID, { every: intervalSeconds * 1_000 }, { name: 'advance', data: {} });
    } finally {
      await queue.close();
    }
    this.worker = createWorker(
      DEMO_CARRIER_QUEUE,
      async () => {
        // A status at least half an interval old moves: one step per round, but never right after the last.
        const moved = await carrier.advanceDemo(intervalSeconds / 2);
        if (moved > 0) logger.info({ moved }, 'demo carrier moved parcels');
        return { moved };
      },
      this.settings,
      { concurrency: 1 },
    );
    logger.warn({ intervalSeconds }, 'demo carrier is on: parcels move towards DELIVERED by themselves');
  }

  /** Lets a running round finish, then closes the worker. */
  async close(): Promise<void> {
    await this.worker?.close();
  }
}
