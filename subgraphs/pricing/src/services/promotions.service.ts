import { anyOf, conflict, currencyCodeSchema as currencyCode, type Database, decodeTimeIdCursor, entityIdSchema, ErrorCode, isUniqueViolation, isUuid, moneyAmountSchema, notFound, pageArgs, parseInput, toConnection, userError } from '@shopgraph/kit';
import { and, asc, desc, eq, gt, isNull, lt, lte, or, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { promotions, type PromotionRow, type schema } from '../db/schema.ts';
import type { ProductsClient } from '../clients/products.ts';
import type { PromotionRule } from './discounts.ts';

type Db = Database<typeof schema>;

const MAX_SCOPE_IDS = 100;

/** Codes are compared upper case, so `summer10` and `SUMMER10` are the same code. */
export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

const idList = z
  .array(entityIdSchema)
  .max(MAX_SCOPE_IDS, `must list at most ${MAX_SCOPE_IDS} ids`)
  .nullish()
  .transform((ids) => [...new Set(ids ?? [])]);

const redemptionLimit = z.number().int('must be an integer').min(1, 'must be at least 1').nullish();

/** The input of `createPromotion`; `now` is the default start. */
const createPromotionInput = (now: Date) =>
  z
    .object({
      code: z
        .string()
        .transform(normalizeCode)
        .pipe(z.string().regex(/^[A-Z0-9_-]{3,32}$/, "must be 3 to 32 letters, digits, '-' or '_'"))
        .nullish(),
      description: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
      kind: z.enum(['PERCENT_OFF', 'AMOUNT_OFF']),
      value: z.number().int('must be an integer').min(1, 'must be at least 1'),
      currency: currencyCode.nullish(),
      minSubtotal: moneyAmountSchema.nullish(),
      productIds: idList,
      categoryIds: idList,
      startsAt: z.date().nullish(),
      endsAt: z.date().nullish(),
      maxRedemptions: redemptionLimit,
      maxRedemptionsPerCustomer: redemptionLimit,
    })
    .superRefine((v, ctx) => {
      if (v.kind === 'PERCENT_OFF' && v.value > 100) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a percentage must be between 1 and 100' });
      if (v.kind === 'AMOUNT_OFF' && v.currency == null) ctx.addIssue({ code: 'custom', path: ['currency'], message: 'is required for AMOUNT_OFF' });
      if (v.minSubtotal != null && v.currency == null) ctx.addIssue({ code: 'custom', path: ['currency'], message: 'is required with minSubtotal' });
      if (v.endsAt && v.endsAt <= (v.startsAt ?? now)) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
      for (const limit of ['maxRedemptions', 'maxRedemptionsPerCustomer'] as const) {
        if (v[limit] != null && v.code == null) ctx.addIssue({ code: 'custom', path: [limit], message: 'needs a code: automatic promotions apply to every shopper' });
      }
    })
    .transform(({ startsAt, ...rest }) => ({ ...rest, startsAt: startsAt ?? now }));

export type CreatePromotionInput = z.input<ReturnType<typeof createPromotionInput>>;

/** True while the promotion has started, not reached `endsAt`, and not been ended early. */
export function isActive(row: Pick<PromotionRow, 'startsAt' | 'endsAt' | 'endedAt'>, now = new Date()): boolean {
  return row.endedAt === null && row.startsAt <= now && (row.endsAt === null || row.endsAt > now);
}

/** The SQL condition of {@link isActive}. */
function activeAt(now: Date): SQL {
  return and(isNull(promotions.endedAt), lte(promotions.startsAt, now), or(isNull(promotions.endsAt), gt(promotions.endsAt, now)))!;
}

/** The arithmetic's view of a promotion row. */
export function toRule(row: PromotionRow): PromotionRule {
  return {
    id: row.id,
    code: row.code,
    kind: row.kind,
    value: row.value,
    currency: row.currency,
    minSubtotal: row.minSubtotal,
    productIds: row.productIds,
    categoryIds: row.categoryIds,
  };
}

/** Promotions: creating, ending, listing, and finding the candidates of a quote. */
export class PromotionsService {
  constructor(
    private readonly db: Db,
    private readonly catalog: ProductsClient,
  ) {}

  /**
   * Creates a promotion after validating everything, including that its products and categories exist in
   * products. Codes are unique across all promotions, ended ones included (CONFLICT).
   */
  async create(input: CreatePromotionInput, createdBy: string): Promise<PromotionRow> {
    const values = parseInput(createPromotionInput(new Date()), input);
    await this.assertScopeExists(values.productIds, values.categoryIds);
    try {
      const [row] = await this.db
        .insert(promotions)
        .values({
          code: values.code ?? null,
          description: values.description,
          kind: values.kind,
          value: values.value,
          currency: values.currency ?? null,
          minSubtotal: values.minSubtotal ?? null,
          productIds: values.productIds,
          categoryIds: values.categoryIds,
          startsAt: values.startsAt,
          endsAt: values.endsAt ?? null,
          maxRedemptions: values.maxRedemptions ?? null,
          maxRedemptionsPerCustomer: values.maxRedemptionsPerCustomer ?? null,
          createdBy,
        })
        .returning();
      return row!;
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`A promotion with the code "${values.code}" already exists`);
      throw error;
    }
  }

  /** Ends a promotion now. A promotion that has already ended is returned unchanged. */
  async end(id: string): Promise<PromotionRow> {
    if (!isUuid(id)) throw notFound('Promotion');
    const now = new Date();
    const [ended] = await this.db
      .update(promotions)
      .set({ endedAt: now })
      .where(and(eq(promotions.id, id), isNull(promotions.endedAt), or(isNull(promotions.endsAt), gt(promotions.endsAt, now))))
      .returning();
    if (ended) return ended;
    const [row] = await this.db.select().from(promotions).where(eq(promotions.id, id));
    if (!row) throw notFound('Promotion');
    return row;
  }

  /** Promotions, newest first; `activeOnly` keeps the active ones. */
  async list(args: { first?: number | null; after?: string | null; activeOnly?: boolean | null }) {
    const { first, after } = pageArgs(args, decodeTimeIdCursor);
    const rows = await this.db
      .select()
      .from(promotions)
      .where(
        and(
          args.activeOnly ? activeAt(new Date()) : undefined,
          after ? or(lt(promotions.createdAt, after.createdAt), and(eq(promotions.createdAt, after.createdAt), lt(promotions.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(promotions.createdAt), desc(promotions.id))
      .limit(first + 1);
    return toConnection(rows, first, (p) => [p.createdAt.toISOString(), p.id]);
  }

  /** Loads many promotions in one query, in the order of `ids` (missing ones as null). */
  async byIds(ids: readonly string[]): Promise<Array<PromotionRow | null>> {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await this.db.select().from(promotions).where(anyOf(promotions.id, valid)) : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * In one query: the automatic promotions active at `now` (oldest first) and the promotion with `code`
   * whatever its state (the caller explains why an inactive code does not apply).
   */
  async quoteCandidates(code: string | null, now: Date): Promise<{ automatic: PromotionRow[]; byCode: PromotionRow | null }> {
    const rows = await this.db
      .select()
      .from(promotions)
      .where(or(and(isNull(promotions.code), activeAt(now)), code ? eq(promotions.code, code) : undefined))
      .orderBy(asc(promotions.createdAt), asc(promotions.id));
    return { automatic: rows.filter((r) => r.code === null), byCode: rows.find((r) => r.code !== null) ?? null };
  }

  private async assertScopeExists(productIds: string[], categoryIds: string[]): Promise<void> {
    const [products, categories] = await Promise.all([this.catalog.productsByIds(productIds), this.catalog.categoriesByIds(categoryIds)]);
    const unknownProducts = productIds.filter((_, i) => !products[i]);
    const unknownCategories = categoryIds.filter((_, i) => !categories[i]);
    const fields = [
      ...unknownProducts.map((id) => ({ field: 'productIds', message: `unknown product "${id}"` })),
      ...unknownCategories.map((id) => ({ field: 'categoryIds', message: `unknown category "${id}"` })),
    ];
    if (fields.length) {
      throw userError(ErrorCode.BAD_USER_INPUT, `Invalid input: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, { fields });
    }
  }
}
