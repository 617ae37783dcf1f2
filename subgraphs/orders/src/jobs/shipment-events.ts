import { createWorker, type Job, type Logger, type QueueSettings, SHIPMENT_STATUS_QUEUE, type ShipmentStatusEvent } from '@shopgraph/kit';
import type { Worker } from 'bullmq';
import type { ShipmentEventsService } from '../services/shipment-events.service.ts';

/** Consumes shipping's status events (SHIPMENT_STATUS_QUEUE) and moves orders to SHIPPED / DELIVERED. */
export function startShipmentEventsWorker(options: { settings: QueueSettings; events: ShipmentEventsService; logger: Logger }): Worker<ShipmentStatusEvent> {
  return createWorker<ShipmentStatusEvent>(
    SHIPMENT_STATUS_QUEUE,
    async (job: Job<ShipmentStatusEvent>) => ({ outcome: await options.events.apply(job.data) }),
    options.settings,
    { concurrency: 5 },
  );
}
