import { randomUUID } from 'node:crypto';
import { type Executor, SHIPMENT_STATUS_INTERESTS, type ShipmentStatus, type ShipmentStatusEvent, writeOutbox } from '@shopgraph/kit';
import { eq, sql } from 'drizzle-orm';
import { outbox, type schema, type ShipmentEventSource, shipmentEvents, type ShipmentRow, shipments } from '../db/schema.ts';

type Exec = Executor<typeof schema>;

/** Outbox event type (and BullMQ job name) of a shipment status change. */
export const SHIPMENT_STATUS_CHANGED = 'shipment.status-changed';

/** A status change as whoever reported it described it. */
export interface StatusChange {
  status: ShipmentStatus;
  location: string | null;
  note: string | null;
  /** When it happened. */
  at: Date;
  source: ShipmentEventSource;
  actorUserId?: string | null;
}

/**
 * Whether a change to `status` is published (SHIPMENT_STATUS_INTERESTS): orders acts on the parcel leaving and
 * arriving. The label checkout creates, an exception and a return are recorded as shipment events only.
 */
export function isPublished(status: ShipmentStatus): boolean {
  return SHIPMENT_STATUS_INTERESTS.includes(status);
}

/**
 * Records that `shipment` (already in `change.status`) got there from `previousStatus`: its event row and,
 * when the status is published ({@link isPublished}), the outbox row that publishes it, both with `tx`, so
 * neither exists without the other. The event's id is the outbox event id.
 */
export async function recordStatusEvent(tx: Exec, shipment: ShipmentRow, previousStatus: ShipmentStatus | null, change: StatusChange): Promise<void> {
  const eventId = randomUUID();
  await tx.insert(shipmentEvents).values({
    id: eventId,
    shipmentId: shipment.id,
    status: change.status,
    previousStatus,
    location: change.location,
    note: change.note,
    source: change.source,
    actorUserId: change.actorUserId ?? null,
    at: change.at,
  });
  const payload: ShipmentStatusEvent = {
    eventId,
    orderId: shipment.orderId,
    shipmentId: shipment.id,
    status: change.status,
    previousStatus,
    trackingNumber: shipment.trackingNumber,
    carrier: shipment.carrier,
    at: change.at.toISOString(),
    location: change.location,
    note: change.note,
  };
  if (isPublished(change.status)) await writeOutbox(tx, outbox, { type: SHIPMENT_STATUS_CHANGED, payload, eventId });
}

/**
 * Moves a shipment the caller has locked (`select … for update`) and checked (decideTransition) to
 * `change.status`, with its event and outbox rows. The one place a shipment's status changes.
 */
export async function applyStatusChange(tx: Exec, shipment: ShipmentRow, change: StatusChange): Promise<ShipmentRow> {
  const [updated] = await tx
    .update(shipments)
    .set({
      status: change.status,
      updatedAt: sql`now()`,
      ...(change.source === 'CARRIER' ? { carrierUpdatedAt: change.at } : {}),
    })
    .where(eq(shipments.id, shipment.id))
    .returning();
  await recordStatusEvent(tx, updated!, shipment.status, change);
  return updated!;
}

/** Asks the outbox relay to publish now, after a transaction that wrote events has committed. */
export interface OutboxNudge {
  nudge(): void;
}
