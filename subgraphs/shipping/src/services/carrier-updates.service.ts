import { conflict, type Database, type Logger, notFound, optionalText, parseInput } from '@shopgraph/kit';
import { GraphQLError } from 'graphql';
import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import { carrierUpdates, type schema, type ShipmentRow, shipments } from '../db/schema.ts';
import { decideTransition, demoNextStatus, SHIPMENT_STATUSES } from './shipment-rules.ts';
import { applyStatusChange, isPublished, type OutboxNudge } from './status-changes.ts';

type Db = Database<typeof schema>;

const carrierUpdateSchema = z.object({
  trackingNumber: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .transform((n) => n.toUpperCase()),
  status: z.enum(SHIPMENT_STATUSES),
  location: optionalText(200),
  note: optionalText(500),
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date and time, e.g. 2026-01-31T12:00:00Z' }).transform((at) => new Date(at)),
});

/** A tracking update as a carrier reports it (validated). */
export type CarrierUpdate = z.output<typeof carrierUpdateSchema>;

/**
 * What became of an accepted update: `applied` (the shipment moved), `unchanged` (it already had that
 * status), `stale` (older than the newest update applied, so it says nothing new), `duplicate` (this very
 * update was accepted before).
 */
export type CarrierOutcome = 'applied' | 'unchanged' | 'stale' | 'duplicate';

/**
 * Validates a carrier's update (BAD_USER_INPUT listing every problem). `occurredAt` may be at most
 * `maxFutureSeconds` ahead of our clock: an update from the future would make every real one look stale.
 */
export function parseCarrierUpdate(value: unknown, maxFutureSeconds: number): CarrierUpdate {
  // zod runs this refinement even when a field failed; then occurredAt may not be a Date.
  const notInTheFuture = carrierUpdateSchema.refine((update) => !(update.occurredAt instanceof Date) || update.occurredAt.getTime() <= Date.now() + maxFutureSeconds * 1000, {
    path: ['occurredAt'],
    message: 'is in the future',
  });
  return parseInput(notInTheFuture, value);
}

/**
 * Tracking updates from the carrier: the webhook and the demo carrier both go through {@link apply}, which
 * dedupes deliveries, ignores late ones, checks the move and changes the status with its event and outbox
 * rows, all in one transaction.
 */
export class CarrierUpdatesService {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxNudge,
    private readonly logger: Logger,
  ) {}

  /**
   * Applies one update: NOT_FOUND for an unknown tracking number, CONFLICT for a move that is not allowed
   * (nothing is recorded, so a redelivery is refused again); otherwise the update is recorded by
   * (trackingNumber, status, occurredAt) and a redelivery of it is a `duplicate` that changes nothing.
   */
  async apply(update: CarrierUpdate): Promise<{ outcome: CarrierOutcome; shipment: ShipmentRow }> {
    const result = await this.db.transaction(async (tx) => {
      // The row lock serialises updates of one parcel, redeliveries included.
      const [shipment] = await tx.select().from(shipments).where(eq(shipments.trackingNumber, update.trackingNumber)).for('update');
      if (!shipment) throw notFound(`Shipment with tracking number ${update.trackingNumber}`);
      const key = and(
        eq(carrierUpdates.trackingNumber, update.trackingNumber),
        eq(carrierUpdates.status, update.status),
        eq(carrierUpdates.occurredAt, update.occurredAt),
      );
      const [seen] = await tx.select({ outcome: carrierUpdates.outcome }).from(carrierUpdates).where(key);
      if (seen) return { outcome: 'duplicate' as const, shipment };

      const stale = shipment.carrierUpdatedAt !== null && update.occurredAt < shipment.carrierUpdatedAt;
      const decision = stale ? 'stale' : decideTransition(shipment, update.status);
      if (typeof decision === 'object') throw conflict(decision.refused);
      const outcome: CarrierOutcome = decision === 'apply' ? 'applied' : decision;
      await tx.insert(carrierUpdates).values({ trackingNumber: update.trackingNumber, status: update.status, occurredAt: update.occurredAt, outcome });
      if (outcome !== 'applied') return { outcome, shipment };
      const change = { status: update.status, location: update.location, note: update.note, at: update.occurredAt, source: 'CARRIER' as const };
      return { outcome, shipment: await applyStatusChange(tx, shipment, change) };
    });
    if (result.outcome === 'applied' && isPublished(result.shipment.status)) this.outbox.nudge();
    return result;
  }

  /**
   * The demo carrier's round: every parcel on its way (not voided, not final, not in EXCEPTION) whose status
   * is at least `minAgeSeconds` old moves one step towards DELIVERED, through {@link apply}. Returns how many
   * moved. A parcel an admin moved meanwhile is skipped (its CONFLICT is expected).
   */
  async advanceDemo(minAgeSeconds: number, limit = 100): Promise<number> {
    const due = await this.db
      .select({ trackingNumber: shipments.trackingNumber, status: shipments.status })
      .from(shipments)
      .where(
        and(
          isNull(shipments.voidedAt),
          inArray(shipments.status, ['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY']),
          lte(shipments.updatedAt, sql`now() - make_interval(secs => ${minAgeSeconds})`),
        ),
      )
      .orderBy(asc(shipments.updatedAt))
      .limit(limit);
    let moved = 0;
    for (const parcel of due) {
      const next = demoNextStatus(parcel.status);
      if (!next) continue;
      try {
        const { outcome } = await this.apply({ trackingNumber: parcel.trackingNumber, status: next, location: 'Demo carrier hub', note: 'Moved by the demo carrier', occurredAt: new Date() });
        if (outcome === 'applied') moved += 1;
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        this.logger.info({ trackingNumber: parcel.trackingNumber, reason: error.message }, 'demo carrier skipped a parcel');
      }
    }
    return moved;
  }
}
