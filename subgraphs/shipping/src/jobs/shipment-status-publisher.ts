import { OutboxQueuePublisher, type QueueSettings, SHIPMENT_STATUS_QUEUE, type ShipmentStatusEvent } from '@shopgraph/kit';
import { outbox } from '../db/schema.ts';
import type { OutboxNudge } from '../services/status-changes.ts';

/** Publishes shipment status changes from the outbox as jobs on SHIPMENT_STATUS_QUEUE (consumed by orders). */
export class ShipmentStatusPublisher extends OutboxQueuePublisher<ShipmentStatusEvent> implements OutboxNudge {
  constructor(databaseUrl: string, settings: QueueSettings) {
    super({ databaseUrl, table: outbox, queueName: SHIPMENT_STATUS_QUEUE, settings });
  }
}
