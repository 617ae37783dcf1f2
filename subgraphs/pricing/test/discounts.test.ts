import { describe, expect, it } from 'vitest';
import {
  allocate,
  bestPromotion,
  displayPrice,
  type PricedLine,
  priceQuote,
  promotionDiscounts,
  type PromotionRule,
  unitDiscount,
} from '../src/services/discounts.ts';

/** The discount arithmetic, without database or network. */

function rule(overrides: Partial<PromotionRule> = {}): PromotionRule {
  return { id: 'p1', code: null, kind: 'PERCENT_OFF', value: 10, currency: null, minSubtotal: null, productIds: [], categoryIds: [], ...overrides };
}
const line = (productId: string, unitPrice: number, quantity = 1, categoryId: string | null = null): PricedLine => ({ productId, unitPrice, quantity, categoryId });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('unitDiscount', () => {
  it('takes a percentage rounded down to the minor unit', () => {
    expect(unitDiscount({ kind: 'PERCENT_OFF', value: 10 }, 1999)).toBe(199);
    expect(unitDiscount({ kind: 'PERCENT_OFF', value: 33 }, 100)).toBe(33);
    expect(unitDiscount({ kind: 'PERCENT_OFF', value: 15 }, 1)).toBe(0);
    expect(unitDiscount({ kind: 'PERCENT_OFF', value: 100 }, 1234)).toBe(1234);
  });

  it('takes an amount, never more than the price', () => {
    expect(unitDiscount({ kind: 'AMOUNT_OFF', value: 500 }, 1999)).toBe(500);
    expect(unitDiscount({ kind: 'AMOUNT_OFF', value: 5000 }, 1999)).toBe(1999);
  });

  it('is exact for the largest prices', () => {
    expect(unitDiscount({ kind: 'PERCENT_OFF', value: 99 }, 2_147_483_647)).toBe(2_126_008_810);
  });
});

describe('allocate', () => {
  it('splits in proportion and sums to the total exactly', () => {
    expect(allocate(100, [100, 100, 100])).toEqual([34, 33, 33]);
    expect(allocate(10, [300, 100])).toEqual([8, 2]);
    expect(allocate(7, [1000, 2000, 3000, 4000])).toEqual([1, 1, 2, 3]);
  });

  it('gives leftover units to the largest remainders, ties to the earlier line', () => {
    // 5 * 333/999 = 1.666..., each line gets 1, the two left go to lines 0 and 1.
    expect(allocate(5, [333, 333, 333])).toEqual([2, 2, 1]);
  });

  it('never gives a line more than its weight', () => {
    const weights = [1, 2, 3, 1_000_000];
    for (let total = 0; total <= sum(weights); total += 997) {
      const shares = allocate(total, weights);
      expect(sum(shares)).toBe(total);
      shares.forEach((s, i) => expect(s).toBeLessThanOrEqual(weights[i]!));
      shares.forEach((s) => expect(s).toBeGreaterThanOrEqual(0));
    }
    expect(allocate(sum(weights), weights)).toEqual(weights);
  });

  it('stays exact where floating point would not', () => {
    const weights = [2_147_483_647 * 1000, 2_147_483_647 * 999, 3];
    const total = 2_147_483_647 * 7;
    const shares = allocate(total, weights);
    expect(sum(shares)).toBe(total);
  });

  it('allocates nothing for a zero total', () => {
    expect(allocate(0, [5, 6])).toEqual([0, 0]);
  });
});

describe('promotionDiscounts', () => {
  const lines = [line('a', 1000, 2, 'shoes'), line('b', 2500, 1, 'hats'), line('c', 999, 3)];

  it('discounts every eligible unit of a product-scoped promotion', () => {
    expect(promotionDiscounts(rule({ productIds: ['a'], value: 15 }), lines, 'EUR')).toEqual([300, 0, 0]);
    expect(promotionDiscounts(rule({ productIds: ['c'], value: 15 }), lines, 'EUR')).toEqual([0, 0, 447]); // floor(149.85) * 3
  });

  it('discounts by category', () => {
    expect(promotionDiscounts(rule({ categoryIds: ['hats'], kind: 'AMOUNT_OFF', value: 300, currency: 'EUR' }), lines, 'EUR')).toEqual([0, 300, 0]);
    expect(promotionDiscounts(rule({ categoryIds: ['hats'], productIds: ['a'], value: 10 }), lines, 'EUR')).toEqual([200, 250, 0]);
  });

  it('caps a unit amount at the unit price', () => {
    expect(promotionDiscounts(rule({ productIds: ['c'], kind: 'AMOUNT_OFF', value: 5000, currency: 'EUR' }), lines, 'EUR')).toEqual([0, 0, 2997]);
  });

  it('discounts an order-wide percentage of the subtotal and spreads it over the lines', () => {
    // subtotal 2000 + 2500 + 2997 = 7497; 10% = 749 (rounded down)
    const shares = promotionDiscounts(rule({ value: 10 }), lines, 'EUR')!;
    expect(sum(shares)).toBe(749);
    expect(shares).toEqual([200, 250, 299]);
  });

  it('never takes an order amount below zero', () => {
    const shares = promotionDiscounts(rule({ kind: 'AMOUNT_OFF', value: 1_000_000, currency: 'EUR' }), lines, 'EUR')!;
    expect(shares).toEqual([2000, 2500, 2997]);
  });

  it('needs the minimum subtotal', () => {
    expect(promotionDiscounts(rule({ minSubtotal: 7498, currency: 'EUR' }), lines, 'EUR')).toBeNull();
    expect(promotionDiscounts(rule({ minSubtotal: 7497, currency: 'EUR' }), lines, 'EUR')).not.toBeNull();
  });

  it('applies only in its currency', () => {
    expect(promotionDiscounts(rule({ kind: 'AMOUNT_OFF', value: 100, currency: 'USD' }), lines, 'EUR')).toBeNull();
    expect(promotionDiscounts(rule({ value: 10, currency: null }), lines, 'USD')).not.toBeNull();
  });
});

describe('bestPromotion', () => {
  const lines = [line('a', 1000, 2, 'shoes'), line('b', 5000, 1)];

  it('picks the largest discount', () => {
    const best = bestPromotion(
      [rule({ id: 'ten', value: 10 }), rule({ id: 'shoes', categoryIds: ['shoes'], value: 50 }), rule({ id: 'fiver', kind: 'AMOUNT_OFF', value: 500, currency: 'EUR' })],
      lines,
      'EUR',
    );
    expect(best?.rule.id).toBe('shoes');
    expect(best?.total).toBe(1000);
  });

  it('ignores promotions that do not apply or discount nothing', () => {
    const best = bestPromotion([rule({ id: 'other', productIds: ['zzz'] }), rule({ id: 'min', minSubtotal: 1_000_000, currency: 'EUR' })], lines, 'EUR');
    expect(best).toBeNull();
  });

  it('lets a code win a tie with an automatic promotion', () => {
    const best = bestPromotion([rule({ id: 'auto', value: 10 }), rule({ id: 'code', code: 'SAVE10', value: 10 })], lines, 'EUR');
    expect(best?.rule.id).toBe('code');
  });

  it('keeps the earlier candidate on a tie between automatic promotions', () => {
    const best = bestPromotion([rule({ id: 'first', value: 10 }), rule({ id: 'second', value: 10 })], lines, 'EUR');
    expect(best?.rule.id).toBe('first');
  });

  it('lets an automatic promotion beat a weaker code', () => {
    const best = bestPromotion([rule({ id: 'code', code: 'SAVE5', value: 5 }), rule({ id: 'auto', value: 20 })], lines, 'EUR');
    expect(best?.rule.code).toBeNull();
  });
});

describe('priceQuote', () => {
  it('adds up lines, discount and total', () => {
    const quote = priceQuote([line('a', 1999, 3), line('b', 1, 1)], 'EUR', [rule({ id: 'code', code: 'TAKE7', kind: 'AMOUNT_OFF', value: 7, currency: 'EUR' })]);
    expect(quote).toEqual({
      currency: 'EUR',
      lines: [
        { productId: 'a', currency: 'EUR', quantity: 3, unitPrice: 1999, lineTotal: 5997, discount: 7 },
        { productId: 'b', currency: 'EUR', quantity: 1, unitPrice: 1, lineTotal: 1, discount: 0 },
      ],
      subtotal: 5998,
      discount: 7,
      total: 5991,
      promoCode: 'TAKE7',
      promotionId: 'code',
    });
  });

  it('has line discounts that sum to the discount and totals that are never negative', () => {
    const lines = [line('a', 3, 7), line('b', 11, 1), line('c', 1, 1000), line('d', 2_000_000, 1)];
    for (const value of [1, 7, 33, 50, 99, 100]) {
      const quote = priceQuote(lines, 'EUR', [rule({ value })]);
      expect(sum(quote.lines.map((l) => l.discount))).toBe(quote.discount);
      expect(quote.total).toBe(quote.subtotal - quote.discount);
      quote.lines.forEach((l) => expect(l.discount).toBeLessThanOrEqual(l.lineTotal));
      expect(quote.total).toBeGreaterThanOrEqual(0);
    }
    const free = priceQuote(lines, 'EUR', [rule({ value: 100 })]);
    expect(free.total).toBe(0);
  });

  it('has no discount and no code without promotions', () => {
    const quote = priceQuote([line('a', 500, 2)], 'JPY', []);
    expect(quote).toMatchObject({ subtotal: 1000, discount: 0, total: 1000, promoCode: null, promotionId: null });
  });
});

describe('displayPrice', () => {
  const price = { amount: 2000, currency: 'EUR', compareAtAmount: null };

  it('lowers the price by the best automatic promotion and strikes through the regular price', () => {
    const shown = displayPrice(price, [rule({ id: 'ten', value: 10 }), rule({ id: 'five-eur', kind: 'AMOUNT_OFF', value: 500, currency: 'EUR' })]);
    expect(shown).toEqual({ currency: 'EUR', regular: 2000, amount: 1500, compareAt: 2000, promotionId: 'five-eur' });
  });

  it('shows the admin compare-at amount when no promotion applies', () => {
    expect(displayPrice({ ...price, compareAtAmount: 2500 }, [])).toMatchObject({ amount: 2000, compareAt: 2500 });
    expect(displayPrice(price, [])).toMatchObject({ amount: 2000, compareAt: null });
  });

  it('ignores promotions in other currencies and those that round to nothing', () => {
    expect(displayPrice(price, [rule({ kind: 'AMOUNT_OFF', value: 500, currency: 'USD' })]).compareAt).toBeNull();
    expect(displayPrice({ amount: 5, currency: 'EUR', compareAtAmount: null }, [rule({ value: 10 })]).amount).toBe(5);
  });

  it('can make a product free but not negative', () => {
    expect(displayPrice(price, [rule({ kind: 'AMOUNT_OFF', value: 99_999, currency: 'EUR' })]).amount).toBe(0);
  });
});
