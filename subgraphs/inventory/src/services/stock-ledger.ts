import type { Executor } from '@shopgraph/kit';
import { and, eq, sql } from 'drizzle-orm';
import { type MovementKind, type schema, stockLevels, type StockLevelRow, stockMovements } from '../db/schema.ts';
import { effectOf, MAX_ON_HAND, recordedDelta } from './stock-rules.ts';

export interface Movement {
  productId: string;
  kind: MovementKind;
  /** Signed for ADJUSTMENT; a positive quantity otherwise. */
  units: number;
  reason?: string | null;
  orderId?: string | null;
  actorUserId?: string | null;
}

/**
 * The only code that changes stock. One conditional UPDATE applies the movement if and only if no number
 * would go negative (or on-hand past MAX_ON_HAND), then the movement is recorded with the level after it.
 * Never read-modify-write: concurrent movements serialise on the row lock and each re-checks its condition.
 * Returns the new level, or null (nothing changed) when the product has no stock row or the condition fails.
 * Run it inside the caller's transaction so the ledger row commits or rolls back with the change.
 */
export async function applyMovement(tx: Executor<typeof schema>, movement: Movement): Promise<StockLevelRow | null> {
  const { productId, kind, units } = movement;
  const effect = effectOf(kind, units);
  const [level] = await tx
    .update(stockLevels)
    .set({
      onHand: sql`${stockLevels.onHand} + ${effect.onHand}`,
      reserved: sql`${stockLevels.reserved} + ${effect.reserved}`,
      available: sql`${stockLevels.available} + ${effect.available}`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(stockLevels.productId, productId),
        sql`${stockLevels.available} + ${effect.available} >= 0`,
        sql`${stockLevels.reserved} + ${effect.reserved} >= 0`,
        sql`${stockLevels.onHand} + ${effect.onHand} <= ${MAX_ON_HAND}`,
      ),
    )
    .returning();
  if (!level) return null;
  await tx.insert(stockMovements).values({
    productId,
    kind,
    delta: recordedDelta(kind, units),
    reason: movement.reason ?? null,
    orderId: movement.orderId ?? null,
    actorUserId: movement.actorUserId ?? null,
    onHandAfter: level.onHand,
    reservedAfter: level.reserved,
    availableAfter: level.available,
  });
  return level;
}
