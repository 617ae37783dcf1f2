import { createQueue, type Database, OutboxRelay, type QueueSettings, SHIPMENT_STATUS_QUEUE, type ShipmentStatusEvent } from '@shopgraph/kit';
import { outbox, type schema } from '../db/schema.ts';
import type { OutboxNudge } from '../services/status-changes.ts';

/**
 * Publishes shipment status changes from the outbox to the SHIPMENT_STATUS_QUEUE (consumed by orders):
 * one BullMQ job per change, job id = event id (a republished event is deduplicated while its job exists;
 * consumers dedupe by eventId after that), retried with exponential backoff when the consumer fails.
 */
export class ShipmentStatusPublisher implements OutboxNudge {
  readonly queue: ReturnType<typeof createQueue<ShipmentStatusEvent>>;
  readonly relay: OutboxRelay;

  constructor(db: Database<typeof schema>, settings: QueueSettings) {
    this.queue = createQueue<ShipmentStatusEvent>(SHIPMENT_STATUS_QUEUE, settings, {
      attempts: 10,
      backoff: { type: 'exponential', delay: 1_000 },
    });
    this.relay = new OutboxRelay({
      db,
      table: outbox,
      logger: settings.logger,
      publish: async (event) => {
        await this.queue.add(event.type, event.payload as ShipmentStatusEvent, { jobId: event.eventId });
      },
    });
  }

  start(): void {
    this.relay.start();
  }

  nudge(): void {
    this.relay.nudge();
  }

  /** Stops publishing (a round in progress finishes), then closes the queue. */
  async close(): Promise<void> {
    await this.relay.stop();
    await this.queue.close();
  }
}
