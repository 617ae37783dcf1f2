import { type Database, ErrorCode, type Executor, userError } from '@shopgraph/kit';
import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { promotionRedemptions, type PromotionRow, promotions, quotes, type schema } from '../db/schema.ts';

type Db = Database<typeof schema>;
type Exec = Executor<typeof schema>;

/** Why a code cannot be used any more, or null when it can (a read, for quotes that store nothing). */
export function usedUpReason(promotion: Pick<PromotionRow, 'code' | 'maxRedemptions' | 'redemptionCount'>): string | null {
  if (promotion.maxRedemptions !== null && promotion.redemptionCount >= promotion.maxRedemptions) {
    return `Promo code "${promotion.code}" has been used up`;
  }
  return null;
}

const refused = (promotion: PromotionRow, message: string, reason: string) =>
  userError(ErrorCode.BAD_USER_INPUT, message, { field: 'promoCode', promoCode: promotion.code, reason });

/**
 * Promo code redemptions: an order placed with a code holds one, counted against the promotion's total and
 * per-customer limits, until the order is cancelled, rejected or not placed after all.
 */
export class RedemptionsService {
  constructor(private readonly db: Db) {}

  /**
   * Redeems `promotionId` for `orderId` within `tx` (the transaction that stores the order's quote), or
   * refuses with BAD_USER_INPUT when the code is used up in all or by this customer. The promotion row is
   * locked, so concurrent orders cannot pass a limit together.
   */
  async redeem(tx: Exec, promotionId: string, orderId: string, customerId: string | null): Promise<void> {
    const [promotion] = await tx.select().from(promotions).where(eq(promotions.id, promotionId)).for('update');
    if (!promotion) return;
    const usedUp = usedUpReason(promotion);
    if (usedUp) throw refused(promotion, usedUp, 'USED_UP');
    if (promotion.maxRedemptionsPerCustomer !== null) {
      const [{ used }] = (await tx
        .select({ used: count() })
        .from(promotionRedemptions)
        .where(and(eq(promotionRedemptions.promotionId, promotionId), customerId === null ? isNull(promotionRedemptions.customerId) : eq(promotionRedemptions.customerId, customerId)))) as [{ used: number }];
      if (used >= promotion.maxRedemptionsPerCustomer) {
        const times = promotion.maxRedemptionsPerCustomer === 1 ? 'once' : `${promotion.maxRedemptionsPerCustomer} times`;
        throw refused(promotion, `Promo code "${promotion.code}" can be used ${times} per customer, and you have used it`, 'USED_BY_CUSTOMER');
      }
    }
    await tx.insert(promotionRedemptions).values({ orderId, promotionId, customerId });
    await tx.update(promotions).set({ redemptionCount: sql`${promotions.redemptionCount} + 1` }).where(eq(promotions.id, promotionId));
  }

  /**
   * Gives back the redemption of `orderId`, if it holds one; with `discardQuote` also forgets its stored
   * quote (the order was never written, so a retry quotes, and redeems, afresh). Idempotent.
   */
  async release(orderId: string, discardQuote: boolean): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const [released] = await tx.delete(promotionRedemptions).where(eq(promotionRedemptions.orderId, orderId)).returning();
      if (released) {
        await tx.update(promotions).set({ redemptionCount: sql`${promotions.redemptionCount} - 1` }).where(eq(promotions.id, released.promotionId));
      }
      if (discardQuote) await tx.delete(quotes).where(eq(quotes.orderId, orderId));
      return released !== undefined;
    });
  }
}
