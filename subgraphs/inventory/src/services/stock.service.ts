import { anyOf, type Database, ErrorCode, notFound, pageArgs, parseInput, toConnection, userError } from '@shopgraph/kit';
import { and, desc, eq, lt } from 'drizzle-orm';
import { z } from 'zod';
import { type schema, stockLevels, stockMovements } from '../db/schema.ts';
import type { ProductsClient } from '../clients/products.ts';
import { applyMovement } from './stock-ledger.ts';
import { MAX_ON_HAND, MAX_UNITS_PER_CHANGE, type StockLevel, ZERO_STOCK } from './stock-rules.ts';

type Db = Database<typeof schema>;

export const productIdSchema = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const adjustInput = z.object({
  productId: productIdSchema,
  delta: z
    .number()
    .int('must be a whole number')
    .refine((d) => d !== 0, 'must not be 0')
    .refine((d) => Math.abs(d) <= MAX_UNITS_PER_CHANGE, `must be between -${MAX_UNITS_PER_CHANGE} and ${MAX_UNITS_PER_CHANGE}`),
  reason: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
});

/** Movement cursors are the movement id (ids grow, so newest first = highest id first). */
function decodeMovementCursor(parts: unknown[]): number {
  const [id] = parts;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw new Error('bad cursor');
  return id;
}

const levelOf = (row: { onHand: number; reserved: number; available: number }): StockLevel => ({
  onHand: row.onHand,
  reserved: row.reserved,
  available: row.available,
});

/** Stock levels, admin adjustments and the movement history. */
export class StockService {
  constructor(
    private readonly db: Db,
    private readonly catalog: ProductsClient,
  ) {}

  /** Stock of many products in one query, in the order of `productIds` (0/0/0 for products without a row). */
  async levelsOf(productIds: readonly string[]): Promise<StockLevel[]> {
    const rows = await this.db.select().from(stockLevels).where(anyOf(stockLevels.productId, [...new Set(productIds)]));
    const byId = new Map(rows.map((row) => [row.productId, levelOf(row)]));
    return productIds.map((id) => byId.get(id) ?? ZERO_STOCK);
  }

  /**
   * Counts stock in or out for an existing (possibly archived) product and records the movement.
   * Everything is validated before anything is written; a delta that would take available stock below
   * zero fails with BAD_USER_INPUT and writes nothing.
   */
  async adjust(actorUserId: string, input: { productId: string; delta: number; reason: string }): Promise<StockLevel> {
    const values = parseInput(adjustInput, input);
    if (!(await this.catalog.product(values.productId))) throw notFound('Product');
    return this.db.transaction(async (tx) => {
      // The first movement of a product creates its row; the conditional update below does the rest.
      await tx.insert(stockLevels).values({ productId: values.productId }).onConflictDoNothing();
      const level = await applyMovement(tx, { productId: values.productId, kind: 'ADJUSTMENT', units: values.delta, reason: values.reason, actorUserId });
      if (level) return levelOf(level);
      const [current] = await tx.select().from(stockLevels).where(eq(stockLevels.productId, values.productId));
      const available = current?.available ?? 0;
      // Throwing rolls the transaction back, including a row created above.
      throw values.delta < 0
        ? userError(ErrorCode.BAD_USER_INPUT, `Cannot remove ${-values.delta} units: only ${available} are available`, { field: 'delta', available })
        : userError(ErrorCode.BAD_USER_INPUT, `Stock on hand cannot exceed ${MAX_ON_HAND} units`, { field: 'delta', onHand: current?.onHand ?? 0 });
    });
  }

  /** Movements of a product, newest first (Relay page). */
  async movements(productIdValue: string, args: { first?: number | null; after?: string | null }) {
    const { first, after } = pageArgs(args, decodeMovementCursor);
    const rows = await this.db
      .select()
      .from(stockMovements)
      .where(and(eq(stockMovements.productId, productIdValue), after ? lt(stockMovements.id, after) : undefined))
      .orderBy(desc(stockMovements.id))
      .limit(first + 1);
    return toConnection(rows, first, (movement) => [movement.id]);
  }
}
