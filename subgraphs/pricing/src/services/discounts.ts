/**
 * The discount arithmetic of pricing: pure functions over integers in minor units, no I/O.
 *
 * - A promotion scoped to products or categories discounts each eligible unit: PERCENT_OFF takes
 *   floor(unitPrice * percent / 100) off every unit, AMOUNT_OFF takes min(value, unitPrice). Rounding per unit
 *   keeps quotes equal to quantity times the discounted `Product.price` a shopper saw.
 * - A promotion without scope discounts the order subtotal (floor of the percentage, or the amount capped at
 *   the subtotal); that discount is spread over the lines in proportion to their totals (largest remainder,
 *   ties to the earlier line), so line discounts always add up to the order discount.
 * - A quote applies the single promotion with the largest discount; on a tie a code the customer gave wins
 *   over automatic ones, and otherwise the earlier promotion in the candidates' order.
 * - A discount never exceeds what it discounts, so nothing is ever priced below zero.
 */

export type PromotionKind = 'PERCENT_OFF' | 'AMOUNT_OFF';

/** What the arithmetic needs to know about a promotion. */
export interface PromotionRule {
  id: string;
  /** Null for automatic promotions. */
  code: string | null;
  kind: PromotionKind;
  /** Percent (1..100) or minor units. */
  value: number;
  /** The only currency the promotion applies in; null = any (PERCENT_OFF without minimum only). */
  currency: string | null;
  minSubtotal: number | null;
  productIds: readonly string[];
  categoryIds: readonly string[];
}

/** A merged, priced line of a quote request. */
export interface PricedLine {
  productId: string;
  categoryId: string | null;
  quantity: number;
  /** Regular price of one unit. */
  unitPrice: number;
}

export interface QuoteLineResult {
  productId: string;
  currency: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
  discount: number;
  /** Tax (see tax.ts); absent in quotes stored before tax existed, which then had none. */
  taxCategory?: string;
  /** Basis points. */
  taxRate?: number;
  tax?: number;
}

/** A computed quote; plain JSON, so it is also what checkout quotes store. */
export interface Quote {
  currency: string;
  lines: QuoteLineResult[];
  subtotal: number;
  discount: number;
  total: number;
  /** Code of the applied promotion; null when an automatic one (or none) applied. */
  promoCode: string | null;
  promotionId: string | null;
  /** Sum of the lines' tax: included in `total` either way (added on top when prices exclude tax). */
  tax?: number;
  pricesIncludeTax?: boolean;
  /** The country whose rates applied (the destination, or the shop's own for an estimate). */
  taxCountry?: string;
}

/** The JSON a checkout quote is stored as. */
export type StoredQuote = Quote;

/** True when the promotion is limited to some products or categories (else it is order-wide). */
export function isScoped(rule: Pick<PromotionRule, 'productIds' | 'categoryIds'>): boolean {
  return rule.productIds.length > 0 || rule.categoryIds.length > 0;
}

/** True when a scoped promotion covers the product (by id, or by its category). */
export function coversProduct(rule: Pick<PromotionRule, 'productIds' | 'categoryIds'>, productId: string, categoryId: string | null): boolean {
  return rule.productIds.includes(productId) || (categoryId !== null && rule.categoryIds.includes(categoryId));
}

/** What a promotion takes off one unit of `unitPrice`: percent rounded down, or the amount capped at the price. */
export function unitDiscount(rule: Pick<PromotionRule, 'kind' | 'value'>, unitPrice: number): number {
  if (unitPrice <= 0) return 0;
  if (rule.kind === 'PERCENT_OFF') return Math.floor((unitPrice * Math.min(rule.value, 100)) / 100);
  return Math.min(rule.value, unitPrice);
}

/**
 * Splits `total` over `weights` in proportion, as integers that add up to `total` exactly: each share is
 * rounded down, and the minor units left over go to the largest remainders (ties: the earlier index).
 * With `total <= sum(weights)` no share exceeds its weight. BigInt keeps large products exact.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, w) => a + w, 0);
  if (total <= 0 || sum <= 0) return weights.map(() => 0);
  if (total > sum) throw new RangeError(`cannot allocate ${total} over weights summing to ${sum}`);
  const bigTotal = BigInt(total);
  const bigSum = BigInt(sum);
  const shares = weights.map((w, index) => {
    const product = bigTotal * BigInt(w);
    return { index, share: Number(product / bigSum), remainder: product % bigSum };
  });
  let left = total - shares.reduce((a, s) => a + s.share, 0);
  const byRemainder = [...shares].sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const s of byRemainder) {
    if (left === 0) break;
    s.share += 1;
    left -= 1;
  }
  return shares.map((s) => s.share);
}

export function subtotalOf(lines: readonly PricedLine[]): number {
  return lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
}

/**
 * Each line's discount under `rule` in a quote of `currency`, or null when the promotion does not apply
 * (other currency, minimum subtotal not reached). All zeros when it applies to none of the lines.
 */
export function promotionDiscounts(rule: PromotionRule, lines: readonly PricedLine[], currency: string): number[] | null {
  if (rule.currency !== null && rule.currency !== currency) return null;
  const subtotal = subtotalOf(lines);
  if (rule.minSubtotal !== null && subtotal < rule.minSubtotal) return null;
  if (isScoped(rule)) {
    return lines.map((line) => (coversProduct(rule, line.productId, line.categoryId) ? unitDiscount(rule, line.unitPrice) * line.quantity : 0));
  }
  const orderDiscount =
    rule.kind === 'PERCENT_OFF' ? Number((BigInt(subtotal) * BigInt(Math.min(rule.value, 100))) / 100n) : Math.min(rule.value, subtotal);
  return allocate(orderDiscount, lines.map((line) => line.unitPrice * line.quantity));
}

export interface AppliedPromotion {
  rule: PromotionRule;
  lineDiscounts: number[];
  total: number;
}

/**
 * The single promotion with the largest discount (more than zero), or null. Ties: a code promotion wins
 * over automatic ones (the customer asked for it), then the earlier candidate.
 */
export function bestPromotion(rules: readonly PromotionRule[], lines: readonly PricedLine[], currency: string): AppliedPromotion | null {
  let best: AppliedPromotion | null = null;
  for (const rule of rules) {
    const lineDiscounts = promotionDiscounts(rule, lines, currency);
    if (!lineDiscounts) continue;
    const total = lineDiscounts.reduce((a, d) => a + d, 0);
    if (total <= 0) continue;
    const better = !best || total > best.total || (total === best.total && rule.code !== null && best.rule.code === null);
    if (better) best = { rule, lineDiscounts, total };
  }
  return best;
}

/** Prices merged lines in one currency with the best of `rules`. */
export function priceQuote(lines: readonly PricedLine[], currency: string, rules: readonly PromotionRule[]): Quote {
  const applied = bestPromotion(rules, lines, currency);
  const quoteLines = lines.map((line, i) => ({
    productId: line.productId,
    currency,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    lineTotal: line.unitPrice * line.quantity,
    discount: applied?.lineDiscounts[i] ?? 0,
  }));
  const subtotal = subtotalOf(lines);
  const discount = applied?.total ?? 0;
  return {
    currency,
    lines: quoteLines,
    subtotal,
    discount,
    total: subtotal - discount,
    promoCode: applied?.rule.code ?? null,
    promotionId: applied?.rule.id ?? null,
  };
}

/** A product's displayed price: regular price less the best automatic unit discount. */
export interface DisplayPrice {
  currency: string;
  regular: number;
  /** What the product costs now. */
  amount: number;
  /** The struck-through price, if any. */
  compareAt: number | null;
  promotionId: string | null;
}

/**
 * The price to display for a product: `rules` are the automatic promotions (no code, no minimum) that
 * cover it; the best one by unit discount lowers the price, and then the regular price is the compare-at.
 */
export function displayPrice(
  price: { amount: number; currency: string; compareAtAmount: number | null },
  rules: readonly PromotionRule[],
): DisplayPrice {
  let best: { rule: PromotionRule; off: number } | null = null;
  for (const rule of rules) {
    if (rule.currency !== null && rule.currency !== price.currency) continue;
    const off = unitDiscount(rule, price.amount);
    if (off > 0 && (!best || off > best.off)) best = { rule, off };
  }
  if (!best) return { currency: price.currency, regular: price.amount, amount: price.amount, compareAt: price.compareAtAmount, promotionId: null };
  return { currency: price.currency, regular: price.amount, amount: price.amount - best.off, compareAt: price.amount, promotionId: best.rule.id };
}
