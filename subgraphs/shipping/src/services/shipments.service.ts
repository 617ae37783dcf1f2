import { createHash } from 'node:crypto';
import { anyOf, type Caller, conflict, countryCodeSchema, type Database, deliveryAddressSchema, entityIdSchema, ErrorCode, isUniqueViolation, isUuid, itemQuantitySchema, MAX_LINE_ITEMS, type Money, money, notFound, optionalText, parseInput, userError } from '@shopgraph/kit';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type schema, type ShipmentAddress, type ShipmentEventRow, shipmentEvents, type ShipmentItem, type ShipmentRow, shipments } from '../db/schema.ts';
import { type Estimate, POSTAL_CODE, type RatesService } from './rates.service.ts';
import { addBusinessDays, decideTransition, newTrackingNumber, parcelWeight, SHIPMENT_STATUSES } from './shipment-rules.ts';
import { applyStatusChange, isPublished, type OutboxNudge, recordStatusEvent } from './status-changes.ts';

type Db = Database<typeof schema>;

export const MAX_UNIT_WEIGHT_GRAMS = 1_000_000;
/** Tracking numbers are random; a collision is retried with a new one (a handful of times at most). */
const TRACKING_NUMBER_ATTEMPTS = 5;

/** An order reference as shipping receives it: the key is all it needs. */
export interface OrderRef {
  id: string;
}

/** The answer to shippingQuote (the GraphQL ShippingQuote). */
export interface ShippingQuoteView {
  amount: Money;
  carrier: string;
  service: string;
  minDays: number;
  maxDays: number;
}

const country = countryCodeSchema;
const postalCode = z.string().trim().regex(POSTAL_CODE, 'is not a postal code');

const items = z
  .array(
    z.object({
      productId: entityIdSchema,
      quantity: itemQuantitySchema,
      weightGrams: z
        .number()
        .int('must be a whole number of grams')
        .min(0, 'must not be negative')
        .max(MAX_UNIT_WEIGHT_GRAMS, `must be at most ${MAX_UNIT_WEIGHT_GRAMS}`),
    }),
  )
  .min(1, 'must list at least one item')
  .max(MAX_LINE_ITEMS, `must list at most ${MAX_LINE_ITEMS} items`)
  // Order-insensitive, so a retried call that lists the lines differently is still the same request.
  .transform((lines) => [...lines].sort((a, b) => compare(a.productId, b.productId) || a.weightGrams - b.weightGrams || a.quantity - b.quantity));

const quoteInput = z.object({ items, country, postalCode: postalCode.nullish() });

const createInput = z.object({
  orderId: entityIdSchema,
  customerId: entityIdSchema,
  address: deliveryAddressSchema.extend({ postalCode }),
  items,
});

const statusInput = z.object({
  shipmentId: z.string(),
  status: z.enum(SHIPMENT_STATUSES),
  location: optionalText(200),
  note: optionalText(500),
});

export type CreateShipmentRequest = z.input<typeof createInput>;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `caller` may read `shipment`: its customer, admins and internal services. */
export function canSeeShipment(caller: Caller, shipment: ShipmentRow): boolean {
  if (caller.kind === 'internal') return true;
  const viewer = caller.viewer;
  return !!viewer && (viewer.role === 'ADMIN' || viewer.userId === shipment.customerId);
}

/**
 * Shipments: quotes for checkout, labels (one per order, idempotent), voiding, admin status changes and
 * reads. Status changes write their event and outbox rows in the same transaction (status-changes.ts).
 */
export class ShipmentsService {
  constructor(
    private readonly db: Db,
    private readonly rates: RatesService,
    private readonly outbox: OutboxNudge,
  ) {}

  /** What shipping `items` to `country` costs as one parcel, with the cheapest service that takes it. */
  async quote(input: z.input<typeof quoteInput>): Promise<ShippingQuoteView> {
    const request = parseInput(quoteInput, input);
    const estimate = await this.cheapest(request.items, request.country);
    return { amount: money(estimate.amount, estimate.currency), carrier: estimate.carrier, service: estimate.service, minDays: estimate.minDays, maxDays: estimate.maxDays };
  }

  /**
   * Creates the order's shipment: the cheapest service's label, a new tracking number, status
   * LABEL_CREATED (with its shipment event; orders does not act on it, so it is not published). Calling again for the same order
   * returns the same shipment, whatever happened to it since; CONFLICT when the request differs.
   */
  async create(input: CreateShipmentRequest): Promise<ShipmentRow> {
    const request = parseInput(createInput, input);
    const address: ShipmentAddress = request.address;
    const lines: ShipmentItem[] = request.items;
    const requestKey = createHash('sha256').update(JSON.stringify({ customerId: request.customerId, address, lines })).digest('hex');
    const existing = await this.byOrderId(request.orderId);
    if (existing) return sameRequest(existing, requestKey);

    const estimate = await this.cheapest(lines, address.country);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const outcome = await this.db.transaction(async (tx) => {
          // A concurrent call for the same order waits here on the key, then finds the committed shipment.
          const [created] = await tx
            .insert(shipments)
            .values({
              orderId: request.orderId,
              customerId: request.customerId,
              carrier: estimate.carrier,
              service: estimate.service,
              trackingNumber: newTrackingNumber(),
              costAmount: estimate.amount,
              currency: estimate.currency,
              weightGrams: parcelWeight(lines),
              address,
              items: lines,
              requestKey,
              estimatedDelivery: addBusinessDays(new Date(), estimate.maxDays),
            })
            .onConflictDoNothing({ target: shipments.orderId })
            .returning();
          if (!created) {
            const [winner] = await tx.select().from(shipments).where(eq(shipments.orderId, request.orderId));
            return { shipment: winner!, created: false };
          }
          await recordStatusEvent(tx, created, null, {
            status: 'LABEL_CREATED',
            location: null,
            note: `${created.carrier} ${created.service} label created`,
            at: created.createdAt,
            source: 'SYSTEM',
          });
          return { shipment: created, created: true };
        });
        // LABEL_CREATED is recorded, not published: no relay round to ask for.
        if (!outcome.created) return sameRequest(outcome.shipment, requestKey);
        return outcome.shipment;
      } catch (error) {
        if (attempt < TRACKING_NUMBER_ATTEMPTS && isUniqueViolation(error, 'shipments_tracking_number_key')) continue;
        throw error;
      }
    }
  }

  /**
   * Voids the label of the order's shipment while it is LABEL_CREATED. Idempotent; CONFLICT once the carrier
   * has the parcel; null when the order has no shipment. Voiding is not a status change: nothing is published.
   */
  async cancel(orderId: string): Promise<ShipmentRow | null> {
    const id = parseInput(z.object({ orderId: entityIdSchema }), { orderId }).orderId;
    const [voided] = await this.db
      .update(shipments)
      .set({ voidedAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(shipments.orderId, id), eq(shipments.status, 'LABEL_CREATED'), isNull(shipments.voidedAt)))
      .returning();
    if (voided) return voided;
    const existing = await this.byOrderId(id);
    if (!existing || existing.voidedAt) return existing;
    throw conflict(`The shipment of order ${id} is ${existing.status}: the carrier has the parcel, so its label can no longer be voided`);
  }

  /** An admin moves a shipment to `status`. A repeat changes nothing; a move not allowed is a CONFLICT. */
  async updateStatus(args: z.input<typeof statusInput>, actorUserId: string): Promise<ShipmentRow> {
    const values = parseInput(statusInput, args);
    if (!isUuid(values.shipmentId)) throw notFound('Shipment');
    const { shipment, changed } = await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(shipments).where(eq(shipments.id, values.shipmentId)).for('update');
      if (!current) throw notFound('Shipment');
      const decision = decideTransition(current, values.status);
      if (decision === 'unchanged') return { shipment: current, changed: false };
      if (decision !== 'apply') throw conflict(decision.refused);
      const change = { status: values.status, location: values.location, note: values.note, at: new Date(), source: 'ADMIN' as const, actorUserId };
      return { shipment: await applyStatusChange(tx, current, change), changed: true };
    });
    if (changed && isPublished(shipment.status)) this.outbox.nudge();
    return shipment;
  }

  async byOrderId(orderId: string): Promise<ShipmentRow | null> {
    const [row] = await this.db.select().from(shipments).where(eq(shipments.orderId, orderId));
    return row ?? null;
  }

  /** Shipments of many orders in one query, in the order of `orderIds` (null where an order has none). */
  async byOrderIds(orderIds: readonly string[]): Promise<Array<ShipmentRow | null>> {
    const rows = await this.db.select().from(shipments).where(anyOf(shipments.orderId, [...orderIds]));
    const byOrder = new Map(rows.map((row) => [row.orderId, row]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  }

  /** Events of many shipments in one query, each list oldest first (in the order they were applied). */
  async eventsOf(shipmentIds: readonly string[]): Promise<ShipmentEventRow[][]> {
    const rows = await this.db
      .select()
      .from(shipmentEvents)
      .where(anyOf(shipmentEvents.shipmentId, [...shipmentIds]))
      .orderBy(asc(shipmentEvents.seq));
    const byShipment = new Map<string, ShipmentEventRow[]>();
    for (const row of rows) byShipment.set(row.shipmentId, [...(byShipment.get(row.shipmentId) ?? []), row]);
    return shipmentIds.map((id) => byShipment.get(id) ?? []);
  }

  /** The cheapest service that takes the parcel to `country`, or BAD_USER_INPUT. */
  private async cheapest(lines: ReadonlyArray<{ quantity: number; weightGrams: number }>, country: string): Promise<Estimate> {
    const weightGrams = parcelWeight(lines);
    const estimate = this.rates.estimate(await this.rates.allRates(), weightGrams, country);
    if (!estimate) throw userError(ErrorCode.BAD_USER_INPUT, `cannot ship this order to ${country}`, { field: 'items', country, weightGrams });
    return estimate;
  }
}

/** The shipment a repeated createShipment asked for, or CONFLICT when it asks for another parcel. */
function sameRequest(shipment: ShipmentRow, requestKey: string): ShipmentRow {
  if (shipment.requestKey !== requestKey) {
    throw conflict(`Order ${shipment.orderId} already has a shipment for another customer, address or items`);
  }
  return shipment;
}
