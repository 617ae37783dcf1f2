import { createHash } from 'node:crypto';
import { conflict, type Database, entityIdSchema, ErrorCode, formatMoney, isCountryCode, itemQuantitySchema, MAX_ITEM_QUANTITY, MAX_LINE_ITEMS, MAX_MONEY_AMOUNT, mergeLineItems, parseInput, userError } from '@shopgraph/kit';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { quotes, type schema } from '../db/schema.ts';
import type { ProductsClient } from '../clients/products.ts';
import { type PricedLine, priceQuote, promotionDiscounts, type Quote, subtotalOf } from './discounts.ts';
import type { PricesService } from './prices.service.ts';
import type { TaxCategoriesService } from './tax-categories.service.ts';
import { applyTax, type TaxSettings } from './tax.ts';
import { isActive, normalizeCode, type PromotionsService, toRule } from './promotions.service.ts';
import { type RedemptionsService, usedUpReason } from './redemptions.service.ts';

type Db = Database<typeof schema>;

/** Items a request may list before merging (bounds the work on absurd inputs). */
const MAX_ITEMS = 1000;

const quoteInput = z.object({
  items: z
    .array(
      z.object({
        productId: entityIdSchema,
        quantity: itemQuantitySchema,
      }),
    )
    .min(1, 'must list at least one item')
    .max(MAX_ITEMS, `must list at most ${MAX_ITEMS} items`),
  promoCode: z
    .string()
    .nullish()
    .transform((code) => (code && code.trim() ? normalizeCode(code) : null)),
  /** Where the order is delivered: its VAT rates apply. */
  country: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')
    .nullish()
    .transform((country) => country ?? null),
});

const checkoutQuoteInput = quoteInput.extend({ orderId: entityIdSchema, customerId: entityIdSchema.nullish() });

export interface QuoteRequest {
  items: Array<{ productId: string; quantity: number }>;
  promoCode?: string | null;
  /** The destination country (ISO 3166-1 alpha-2); without it the shop's own country's rates apply. */
  country?: string | null;
}

/** A validated request: lines merged by product (first appearance order), code and country upper case. */
interface NormalizedRequest {
  lines: Array<{ productId: string; quantity: number }>;
  promoCode: string | null;
  country: string | null;
}

const invalid = (message: string, extensions: Record<string, unknown> = {}) => userError(ErrorCode.BAD_USER_INPUT, message, extensions);
const quoted = (ids: string[]) => ids.map((id) => `"${id}"`).join(', ');

/** Quotes: what items cost with the best promotion; checkout quotes are stored once per order. */
export class QuotesService {
  constructor(
    private readonly db: Db,
    private readonly catalog: ProductsClient,
    private readonly prices: PricesService,
    private readonly promotions: PromotionsService,
    private readonly redemptions: RedemptionsService,
    private readonly taxCategories: TaxCategoriesService,
    private readonly tax: TaxSettings,
    private readonly defaultCurrency = 'EUR',
  ) {}

  /** What a cart's lines would cost now, without a promo code (Cart.estimate), taxed for `country`; an empty cart costs zero. */
  async estimate(lines: Array<{ productId: string; quantity: number }>, country?: string | null): Promise<Quote> {
    if (lines.length === 0) return applyTax(priceQuote([], this.defaultCurrency, []), new Map(), this.tax, parseInput(quoteInput.shape.country, country));
    return this.quote({ items: lines, country });
  }

  /** Prices `items` now, with the best applicable promotion. Nothing is stored. */
  async quote(input: QuoteRequest): Promise<Quote> {
    return this.compute(normalize(parseInput(quoteInput, input)));
  }

  /**
   * The authoritative quote of an order. The first call computes and stores it; a repeat of the same
   * request returns the stored quote unchanged (even if prices or promotions changed meanwhile); another
   * request for the same order is a CONFLICT. Invalid requests store nothing. When the given code applies,
   * the order redeems it in the transaction that stores the quote (so once per order), or the whole call is
   * refused when the code is used up.
   */
  async checkoutQuote(input: QuoteRequest & { orderId: string; customerId?: string | null }, requestedBy: string): Promise<Quote> {
    const { orderId, customerId, ...rest } = parseInput(checkoutQuoteInput, input);
    const request = normalize(rest);
    const requestKey = keyOf(request);
    const stored = await this.storedQuote(orderId, requestKey);
    if (stored) return stored;
    const quote = await this.compute(request);
    const inserted = await this.db.transaction(async (tx) => {
      const [row] = await tx.insert(quotes).values({ orderId, requestKey, quote, requestedBy }).onConflictDoNothing().returning();
      if (row && quote.promoCode && quote.promotionId) await this.redemptions.redeem(tx, quote.promotionId, orderId, customerId ?? null);
      return row?.quote;
    });
    if (inserted) return inserted;
    // A concurrent call for the same order stored its quote first.
    return (await this.storedQuote(orderId, requestKey))!;
  }

  private async storedQuote(orderId: string, requestKey: string): Promise<Quote | null> {
    const [row] = await this.db.select().from(quotes).where(eq(quotes.orderId, orderId));
    if (!row) return null;
    if (row.requestKey !== requestKey) throw conflict(`Order "${orderId}" was already quoted with other items or another promo code`);
    return row.quote;
  }

  private async compute(request: NormalizedRequest): Promise<Quote> {
    const ids = request.lines.map((l) => l.productId);
    const [products, priceRows, taxCategories] = await Promise.all([
      this.catalog.productsByIds(ids),
      this.prices.byProductIds(ids),
      this.taxCategories.byProductIds(ids),
    ]);

    const unknown = ids.filter((_, i) => !products[i]);
    if (unknown.length) throw invalid(`Unknown products: ${quoted(unknown)}`, { field: 'items', productIds: unknown });
    const archived = ids.filter((_, i) => products[i]?.active === false);
    if (archived.length) throw invalid(`Products no longer sold: ${quoted(archived)}`, { field: 'items', productIds: archived });
    const unpriced = ids.filter((_, i) => !priceRows[i]);
    if (unpriced.length) throw invalid(`Products without a price: ${quoted(unpriced)}`, { field: 'items', productIds: unpriced });
    const currencies = [...new Set(priceRows.map((p) => p!.currency))];
    if (currencies.length > 1) throw invalid(`These products are priced in different currencies (${currencies.join(', ')}); quote them separately`, { field: 'items' });
    const currency = currencies[0]!;

    const lines: PricedLine[] = request.lines.map((line, i) => ({
      ...line,
      categoryId: products[i]!.category?.id ?? null,
      unitPrice: priceRows[i]!.amount,
    }));
    if (subtotalOf(lines) > MAX_MONEY_AMOUNT) throw invalid('This order is too large to quote: split it into smaller orders', { field: 'items' });

    const now = new Date();
    const { automatic, byCode } = await this.promotions.quoteCandidates(request.promoCode, now);
    const rules = automatic.map(toRule);
    if (request.promoCode) {
      const code = request.promoCode;
      const extensions = { field: 'promoCode', promoCode: code };
      if (!byCode) throw invalid(`Unknown promo code "${code}"`, extensions);
      if (byCode.startsAt > now) throw invalid(`Promo code "${code}" is not valid yet`, extensions);
      if (!isActive(byCode, now)) throw invalid(`Promo code "${code}" has expired`, extensions);
      const usedUp = usedUpReason(byCode);
      if (usedUp) throw invalid(usedUp, { ...extensions, reason: 'USED_UP' });
      const rule = toRule(byCode);
      const discounts = promotionDiscounts(rule, lines, currency);
      if (rule.currency !== null && rule.currency !== currency) throw invalid(`Promo code "${code}" only applies to orders in ${rule.currency}`, extensions);
      if (rule.minSubtotal !== null && !discounts) {
        throw invalid(`Promo code "${code}" needs a subtotal of at least ${formatMoney(rule.minSubtotal, rule.currency!)}`, extensions);
      }
      if (!discounts?.some((d) => d > 0)) throw invalid(`Promo code "${code}" does not apply to these items`, extensions);
      rules.unshift(rule);
    }
    return applyTax(priceQuote(lines, currency, rules), taxCategories, this.tax, request.country);
  }
}

/** Merges lines of the same product (first appearance keeps its place) and checks the limits. */
function normalize(input: { items: Array<{ productId: string; quantity: number }>; promoCode: string | null; country: string | null }): NormalizedRequest {
  const lines = mergeLineItems(input.items);
  if (lines.length > MAX_LINE_ITEMS) throw invalid(`A quote can have at most ${MAX_LINE_ITEMS} different products`, { field: 'items' });
  const tooMany = lines.filter((line) => line.quantity > MAX_ITEM_QUANTITY).map((line) => line.productId);
  if (tooMany.length) throw invalid(`At most ${MAX_ITEM_QUANTITY} of one product: ${quoted(tooMany)}`, { field: 'items', productIds: tooMany });
  return { lines, promoCode: input.promoCode, country: input.country };
}

/** Identifies a request independent of item order and duplicate lines. */
function keyOf(request: NormalizedRequest): string {
  const items = [...request.lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0)).map((l) => [l.productId, l.quantity]);
  // The country joins the key only when given, so keys of requests without one are what they always were.
  const country = request.country ? { country: request.country } : {};
  return createHash('sha256').update(JSON.stringify({ items, promoCode: request.promoCode, ...country })).digest('hex');
}

/** A Cart as pricing receives it: its key and the lines `@requires` brings along. */
export interface CartLines {
  id: string;
  lines: Array<{ productId: string; quantity: number }>;
}
