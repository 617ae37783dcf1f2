import { anyOf, badInput, conflict, type Database, type Executor, type Logger, MAX_LINE_ITEMS, notFound, parseInput } from '@shopgraph/kit';
import { and, asc, eq, lte, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  type MovementKind,
  reservationItems,
  type ReservationRow,
  reservations,
  type ReservationStatus,
  type schema,
  stockLevels,
} from '../db/schema.ts';
import { productIdSchema } from './stock.service.ts';
import { applyMovement } from './stock-ledger.ts';
import { byProductId, type Line, MAX_UNITS_PER_CHANGE, mergeLines, sameLines } from './stock-rules.ts';

type Db = Database<typeof schema>;
type Exec = Executor<typeof schema>;

/** A reservation with its lines (sorted by product id), as resolvers return it. */
export interface ReservationView extends ReservationRow {
  items: Line[];
}

export interface StockShortage {
  productId: string;
  requested: number;
  available: number;
}

/** The answer to reserveStock: lack of stock is an expected outcome, not an exception. */
export type ReservationResultView =
  | { status: 'RESERVED'; reservation: ReservationView; unavailable: [] }
  | { status: 'OUT_OF_STOCK'; reservation: null; unavailable: StockShortage[] };

/** Arranges for an ACTIVE reservation to be expired at `expiresAt` (implemented with a BullMQ delayed job). */
export interface ExpiryScheduler {
  schedule(orderId: string, expiresAt: Date): Promise<void>;
}

export const MAX_TTL_SECONDS = 86_400;

// Order ids become part of BullMQ job ids, which must not contain ':'.
export const orderIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be 1 to 100 letters, digits, "-" or "_"');

const orderIdInput = z.object({ orderId: orderIdSchema });

const quantity = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_UNITS_PER_CHANGE, `must be at most ${MAX_UNITS_PER_CHANGE}`);

const reserveInput = z.object({
  orderId: orderIdSchema,
  items: z
    .array(z.object({ productId: productIdSchema, quantity }))
    .min(1, 'must not be empty')
    .max(MAX_LINE_ITEMS, `must have at most ${MAX_LINE_ITEMS} lines`),
  ttlSeconds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_TTL_SECONDS, `must be at most ${MAX_TTL_SECONDS}`),
});

/** Thrown inside the reservation transaction to roll every line back. */
class OutOfStock extends Error {
  constructor(readonly shortages: StockShortage[]) {
    super('out of stock');
  }
}

/**
 * Stock held for orders in checkout. Every operation is idempotent per order id and safe to re-run after
 * a crash: a reservation changes state only from ACTIVE, by a conditional UPDATE, in the same transaction
 * as the stock it moves.
 */
export class ReservationService {
  constructor(
    private readonly db: Db,
    private readonly expiry: ExpiryScheduler,
    private readonly logger: Logger,
  ) {}

  /**
   * Reserves every line, all or nothing. Calling again for the same order returns its reservation as it is
   * (whatever its status), or CONFLICT when the lines differ.
   */
  async reserve(input: { orderId: string; items: Line[]; ttlSeconds: number }): Promise<ReservationResultView> {
    const values = parseInput(reserveInput, input);
    const lines = mergeLines(values.items);
    const tooMany = lines.find((line) => line.quantity > MAX_UNITS_PER_CHANGE);
    if (tooMany) throw badInput(`items: at most ${MAX_UNITS_PER_CHANGE} units of one product per reservation`, 'items');

    let reservation: ReservationView;
    try {
      reservation = await this.db.transaction(async (tx) => {
        // A concurrent call for the same order waits here on the key, then sees the committed reservation.
        const [created] = await tx
          .insert(reservations)
          .values({ orderId: values.orderId, expiresAt: sql`now() + make_interval(secs => ${values.ttlSeconds})` })
          .onConflictDoNothing()
          .returning();
        if (!created) {
          const existing = (await this.find(values.orderId, tx))!;
          if (!sameLines(existing.items, lines)) {
            throw conflict(`Order ${values.orderId} already has a reservation with different items`);
          }
          return existing;
        }
        const shortages: Line[] = [];
        for (const line of lines) {
          const level = await applyMovement(tx, { productId: line.productId, kind: 'RESERVE', units: line.quantity, orderId: values.orderId });
          if (!level) shortages.push(line);
        }
        if (shortages.length > 0) throw new OutOfStock(await this.shortagesOf(tx, shortages));
        await tx.insert(reservationItems).values(lines.map((line) => ({ orderId: values.orderId, ...line })));
        return { ...created, items: lines };
      });
    } catch (error) {
      if (error instanceof OutOfStock) return { status: 'OUT_OF_STOCK', reservation: null, unavailable: error.shortages };
      throw error;
    }
    // Also on a replay: a crash between commit and scheduling leaves no job, and the job id dedupes.
    if (reservation.status === 'ACTIVE') await this.scheduleExpiry(reservation);
    return { status: 'RESERVED', reservation, unavailable: [] };
  }

  /** The reserved units leave the warehouse. Idempotent; CONFLICT once released or expired. */
  async commit(orderId: string): Promise<ReservationView> {
    const id = parseInput(orderIdInput, { orderId }).orderId;
    const outcome = await this.end(id, 'COMMITTED', 'COMMIT');
    if (!outcome) throw notFound(`Reservation of order ${id}`);
    const { reservation } = outcome;
    if (reservation.status === 'COMMITTED') return reservation;
    throw conflict(`The reservation of order ${id} is ${reservation.status}: its stock is no longer held`);
  }

  /** Gives the reserved units back. Idempotent (an expired reservation is already given back); CONFLICT once committed. */
  async release(orderId: string): Promise<ReservationView> {
    const id = parseInput(orderIdInput, { orderId }).orderId;
    const outcome = await this.end(id, 'RELEASED', 'RELEASE');
    if (!outcome) throw notFound(`Reservation of order ${id}`);
    const { reservation } = outcome;
    if (reservation.status === 'COMMITTED') throw conflict(`The reservation of order ${id} is COMMITTED: its units have left the warehouse`);
    return reservation;
  }

  /**
   * Expires an ACTIVE reservation whose time is up, giving its units back. A no-op once it is committed,
   * released or expired; 'not-due' when it is ACTIVE but its time has not come (the job retries).
   */
  async expire(orderId: string): Promise<'expired' | 'ended' | 'not-due' | 'missing'> {
    const outcome = await this.end(orderId, 'EXPIRED', 'EXPIRE', { onlyWhenDue: true });
    if (!outcome) return 'missing';
    if (outcome.changed) return 'expired';
    return outcome.reservation.status === 'ACTIVE' ? 'not-due' : 'ended';
  }

  /** Expires overdue ACTIVE reservations whose expiry job was lost (safety net run periodically). */
  async expireOverdue(limit = 100): Promise<number> {
    const overdue = await this.db
      .select({ orderId: reservations.orderId })
      .from(reservations)
      .where(and(eq(reservations.status, 'ACTIVE'), lte(reservations.expiresAt, sql`now()`)))
      .orderBy(asc(reservations.expiresAt))
      .limit(limit);
    let expired = 0;
    for (const { orderId } of overdue) if ((await this.expire(orderId)) === 'expired') expired += 1;
    return expired;
  }

  /** An order's reservation with its lines, or null. */
  async find(orderId: string, db: Exec = this.db): Promise<ReservationView | null> {
    const [row] = await db.select().from(reservations).where(eq(reservations.orderId, orderId));
    return row ? { ...row, items: await this.itemsOf(orderId, db) } : null;
  }

  /** A reservation's lines in locking order. */
  private async itemsOf(orderId: string, db: Exec): Promise<Line[]> {
    const items = await db
      .select({ productId: reservationItems.productId, quantity: reservationItems.quantity })
      .from(reservationItems)
      .where(eq(reservationItems.orderId, orderId));
    return items.sort(byProductId);
  }

  /**
   * Moves an ACTIVE reservation to `to` and applies `kind` to each line, in one transaction. When the
   * reservation is not ACTIVE (or not due, with onlyWhenDue) nothing changes and it is returned as it is;
   * null when the order has no reservation.
   */
  private async end(
    orderId: string,
    to: Exclude<ReservationStatus, 'ACTIVE'>,
    kind: MovementKind,
    options: { onlyWhenDue?: boolean } = {},
  ): Promise<{ reservation: ReservationView; changed: boolean } | null> {
    return this.db.transaction(async (tx) => {
      const [ended] = await tx
        .update(reservations)
        .set({ status: to, updatedAt: sql`now()` })
        .where(
          and(
            eq(reservations.orderId, orderId),
            eq(reservations.status, 'ACTIVE'),
            options.onlyWhenDue ? lte(reservations.expiresAt, sql`now()`) : undefined,
          ),
        )
        .returning();
      if (!ended) {
        const existing = await this.find(orderId, tx);
        return existing && { reservation: existing, changed: false };
      }
      const items = await this.itemsOf(orderId, tx);
      for (const item of items) {
        const level = await applyMovement(tx, { productId: item.productId, kind, units: item.quantity, orderId });
        // The reservation's units are counted in `reserved`; if they are not, stop rather than guess.
        if (!level) throw new Error(`Stock of product ${item.productId} does not hold the ${item.quantity} units reserved for order ${orderId}`);
      }
      return { reservation: { ...ended, items }, changed: true };
    });
  }

  private async shortagesOf(tx: Exec, lines: Line[]): Promise<StockShortage[]> {
    const rows = await tx
      .select({ productId: stockLevels.productId, available: stockLevels.available })
      .from(stockLevels)
      .where(anyOf(stockLevels.productId, lines.map((line) => line.productId)));
    const available = new Map(rows.map((row) => [row.productId, row.available]));
    return lines.map((line) => ({ productId: line.productId, requested: line.quantity, available: available.get(line.productId) ?? 0 }));
  }

  private async scheduleExpiry(reservation: ReservationView): Promise<void> {
    try {
      await this.expiry.schedule(reservation.orderId, reservation.expiresAt);
    } catch (error) {
      // The reservation stands; the periodic sweep expires it if no job was enqueued.
      this.logger.error({ err: error, orderId: reservation.orderId }, 'could not schedule reservation expiry');
    }
  }
}
