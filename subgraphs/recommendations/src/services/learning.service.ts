import { badInput, type Database, type Logger, type OrderStatusEvent, type Executor } from '@shopgraph/kit';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { OrdersClient } from '../clients/orders.ts';
import type { PricingClient } from '../clients/pricing.ts';
import type { ProductsClient } from '../clients/products.ts';
import { coPurchases, modelProducts, modelVersions, type ModelVersionRow, processedEvents, purchases, type schema, similarProducts } from '../db/schema.ts';
import { type CatalogItem, coPurchaseModel, contentModel, decayWeight, type Purchase, trendingModel } from './models.ts';

/** Serialises incremental updates with a model switch, so no purchase is counted twice or missed. */
const MODEL_LOCK = 0x7265_6373; // "recs"

/** Statuses after which an order's lines no longer count as purchases. */
const UNDONE = new Set(['CANCELLED', 'REFUNDED']);
/** The order statuses learning acts on (orders sends recommendations only these: ORDER_STATUS_INTERESTS). */
export const LEARNS_FROM = ['PAID', ...UNDONE];

const INSERT_CHUNK = 2_000;

type Tx = Executor<typeof schema>;

/**
 * Learning: order events become purchases (and incremental updates of the serving model), trainings build new
 * model versions from all purchases and the catalog, and switch to them atomically.
 */
/** What learning reads of a paid order, from the snapshot its status event carries. */
function placedOrder(event: OrderStatusEvent, placed: NonNullable<OrderStatusEvent['order']>) {
  return {
    id: event.orderId,
    customer: { id: event.customerId },
    placedAt: placed.placedAt,
    items: placed.items.map((item) => ({ product: { id: item.productId }, quantity: item.quantity })),
  };
}

export class LearningService {
  constructor(
    private readonly db: Database<typeof schema>,
    private readonly clients: { orders: OrdersClient; products: ProductsClient; pricing: PricingClient },
    private readonly options: { halfLifeDays: number; logger: Logger },
  ) {}

  /**
   * Applies one order status event exactly once (its id is recorded in the same transaction). PAID: the order's
   * lines become purchases and update the serving model's counts; CANCELLED / REFUNDED: its purchases are
   * removed (the next training forgets them). Other statuses change nothing.
   */
  async handleOrderEvent(event: OrderStatusEvent): Promise<'applied' | 'duplicate' | 'ignored'> {
    if (event.status !== 'PAID' && !UNDONE.has(event.status)) return 'ignored';
    // The order as placed comes with the event; one written before events carried it is read from orders, before
    // the transaction: a slow orders never holds a database transaction open.
    const order = event.status !== 'PAID' ? null : event.order ? placedOrder(event, event.order) : await this.clients.orders.order(event.orderId);
    return this.db.transaction(async (tx) => {
      const fresh = await tx.insert(processedEvents).values({ eventId: event.eventId }).onConflictDoNothing().returning();
      if (fresh.length === 0) return 'duplicate';
      if (UNDONE.has(event.status)) {
        await tx.delete(purchases).where(eq(purchases.orderId, event.orderId));
        return 'applied';
      }
      if (!order) throw new Error(`orders does not know order ${event.orderId}`);
      const lines = new Map<string, number>();
      for (const item of order.items) lines.set(item.product.id, (lines.get(item.product.id) ?? 0) + item.quantity);
      const at = new Date(order.placedAt);
      await this.record(tx, [...lines].map(([productId, quantity]) => ({ orderId: order.id, customerId: order.customer.id, productId, quantity, at })));
      return 'applied';
    });
  }

  /** Imports order lines from another system (skips known lines); they count from the next training. */
  async importHistory(lines: ReadonlyArray<{ orderId: string; customerId: string; productId: string; quantity: number; purchasedAt: Date }>): Promise<number> {
    if (lines.length > 5_000) throw badInput('at most 5,000 lines per call', 'lines');
    for (const line of lines) {
      if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > 10_000) throw badInput('quantity must be between 1 and 10000', 'quantity');
      if (Number.isNaN(line.purchasedAt.getTime()) || line.purchasedAt.getTime() > Date.now() + 60_000) throw badInput('purchasedAt must be a past instant', 'purchasedAt');
      for (const id of [line.orderId, line.customerId, line.productId]) if (id.trim() === '' || id.length > 100) throw badInput('ids must be 1 to 100 characters', 'lines');
    }
    let inserted = 0;
    await this.db.transaction(async (tx) => {
      for (let i = 0; i < lines.length; i += INSERT_CHUNK) {
        const rows = await tx
          .insert(purchases)
          .values(lines.slice(i, i + INSERT_CHUNK).map((l) => ({ orderId: l.orderId, customerId: l.customerId, productId: l.productId, quantity: l.quantity, purchasedAt: l.purchasedAt })))
          .onConflictDoNothing()
          .returning({ orderId: purchases.orderId });
        inserted += rows.length;
      }
    });
    return inserted;
  }

  /** The serving version (newest READY), or null before the first training. */
  async activeModel(): Promise<ModelVersionRow | null> {
    const [row] = await this.db.select().from(modelVersions).where(eq(modelVersions.status, 'READY')).orderBy(desc(modelVersions.version)).limit(1);
    return row ?? null;
  }

  /** Starts a new version (TRAINING); {@link train} fills and switches it. */
  async beginVersion(): Promise<ModelVersionRow> {
    const [row] = await this.db.insert(modelVersions).values({ asOf: new Date() }).returning();
    return row!;
  }

  /**
   * Builds version `version` from every purchase recorded up to now and the current catalog, then switches to it:
   * in one transaction (under the model lock) it replays purchases recorded meanwhile, marks it READY and drops
   * older versions. Until then the previous version serves. A failure marks the version FAILED.
   */
  async train(version: number): Promise<ModelVersionRow> {
    try {
      const snapshot = await this.db.transaction(async (tx) => {
        const [{ now }] = (await tx.execute<{ now: string }>(sql`select now()::text as now`)) as unknown as [{ now: string }];
        const rows = await tx.select().from(purchases).where(sql`${purchases.recordedAt} <= ${now}::timestamptz`);
        return { asOf: new Date(now), rows };
      });
      const history: Purchase[] = snapshot.rows.map((r) => ({ orderId: r.orderId, customerId: r.customerId, productId: r.productId, quantity: r.quantity, at: r.purchasedAt }));
      const catalog = await this.catalog();
      const known = new Map(catalog.map((item) => [item.id, item]));
      const { pairs, orderCounts } = coPurchaseModel(history);
      const trend = trendingModel(history, snapshot.asOf, this.options.halfLifeDays);
      const similar = contentModel(catalog);
      const productIds = new Set([...known.keys(), ...orderCounts.keys()]);
      await this.db.update(modelVersions).set({ asOf: snapshot.asOf }).where(eq(modelVersions.version, version));
      await insertChunks(this.db, modelProducts, [...productIds].map((productId) => ({ version, productId, categorySlug: known.get(productId)?.categorySlug ?? null, orders: orderCounts.get(productId) ?? 0, trend: trend.get(productId) ?? 0 })));
      await insertChunks(this.db, coPurchases, pairs.map((p) => ({ version, ...p })));
      await insertChunks(this.db, similarProducts, similar.map((s) => ({ version, ...s })));
      const orders = new Set(history.map((p) => p.orderId)).size;
      return await this.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${MODEL_LOCK})`);
        const late = await tx.select().from(purchases).where(sql`${purchases.recordedAt} > ${snapshot.asOf.toISOString()}::timestamptz`);
        for (const lines of groupByOrder(late)) await this.applyIncrement(tx, version, snapshot.asOf, lines);
        const [ready] = await tx
          .update(modelVersions)
          .set({ status: 'READY', finishedAt: new Date(), orders: orders + new Set(late.map((l) => l.orderId)).size, products: catalog.length })
          .where(and(eq(modelVersions.version, version), eq(modelVersions.status, 'TRAINING')))
          .returning();
        if (!ready) throw new Error(`model version ${version} is not training`);
        // Older versions go; a statement already reading one keeps its snapshot.
        await tx.delete(modelVersions).where(sql`${modelVersions.version} < ${version} and ${modelVersions.status} <> 'TRAINING'`);
        return ready;
      });
    } catch (error) {
      await this.db.update(modelVersions).set({ status: 'FAILED', finishedAt: new Date(), error: String((error as Error).message).slice(0, 500) }).where(eq(modelVersions.version, version));
      throw error;
    }
  }

  /** The listed catalog with prices (a product without a price, or while pricing is down, has none). */
  private async catalog(): Promise<CatalogItem[]> {
    const entries = await this.clients.products.catalog();
    const prices: Array<number | null> = [];
    try {
      for (let i = 0; i < entries.length; i += 100) prices.push(...(await this.clients.pricing.prices(entries.slice(i, i + 100).map((e) => e.id))));
    } catch (error) {
      this.options.logger.warn({ err: error }, 'prices unavailable: training without price bands');
      prices.length = 0;
    }
    return entries.map((entry, i) => ({ ...entry, priceAmount: prices[i] ?? null }));
  }

  /** Records new purchases and, under the model lock, adds them to the serving version's counts. */
  private async record(tx: Tx, lines: Purchase[]): Promise<void> {
    await tx.execute(sql`select pg_advisory_xact_lock(${MODEL_LOCK})`);
    const inserted = await tx
      .insert(purchases)
      .values(lines.map((l) => ({ orderId: l.orderId, customerId: l.customerId, productId: l.productId, quantity: l.quantity, purchasedAt: l.at })))
      .onConflictDoNothing()
      .returning();
    if (inserted.length === 0) return;
    const [active] = await tx.select().from(modelVersions).where(eq(modelVersions.status, 'READY')).orderBy(desc(modelVersions.version)).limit(1);
    if (active) await this.applyIncrement(tx, active.version, active.asOf, inserted);
  }

  /**
   * Adds one order's lines to a version: order counts and decayed trend of its products, co-purchase counts of its
   * pairs, then the cosine scores of every pair touching them (their normalisation changed).
   */
  private async applyIncrement(tx: Tx, version: number, asOf: Date, lines: ReadonlyArray<{ productId: string; quantity: number; purchasedAt?: Date; at?: Date }>): Promise<void> {
    const ids = [...new Set(lines.map((l) => l.productId))];
    for (const line of lines) {
      const weight = line.quantity * decayWeight(line.purchasedAt ?? line.at!, asOf, this.options.halfLifeDays);
      await tx.execute(sql`
        insert into model_products (version, product_id, orders, trend) values (${version}, ${line.productId}, 1, ${weight})
        on conflict (version, product_id) do update set orders = model_products.orders + 1, trend = model_products.trend + excluded.trend`);
    }
    if (ids.length < 2) return;
    const pairs = ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => sql`(${version}::bigint, ${a}, ${b}, 1, 0::float8)`));
    await tx.execute(sql`
      insert into co_purchases (version, product_id, other_id, count, score) values ${sql.join(pairs, sql`, `)}
      on conflict (version, product_id, other_id) do update set count = co_purchases.count + 1`);
    const list = sql.join(ids.map((id) => sql`${id}`), sql`, `);
    await tx.execute(sql`
      update co_purchases c set score = c.count / sqrt(greatest(a.orders, 1)::float8 * greatest(b.orders, 1))
        from model_products a, model_products b
       where c.version = ${version} and (c.product_id in (${list}) or c.other_id in (${list}))
         and a.version = c.version and a.product_id = c.product_id and b.version = c.version and b.product_id = c.other_id`);
  }
}

function groupByOrder<T extends { orderId: string }>(rows: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(row.orderId, [...(groups.get(row.orderId) ?? []), row]);
  return [...groups.values()];
}

async function insertChunks(db: Database<typeof schema>, table: typeof modelProducts | typeof coPurchases | typeof similarProducts, rows: Array<Record<string, unknown>>): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db.insert(table).values(rows.slice(i, i + INSERT_CHUNK) as never);
}
