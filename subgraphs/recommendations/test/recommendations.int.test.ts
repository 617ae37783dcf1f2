import type { OrderStatusEvent } from '@shopgraph/kit';
import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogProduct, eventually, ids, importHistory, newCategory, newCustomer, placePaidOrder, type RecsFixture, retrain, startRecs } from './helpers.ts';

const ALSO_BOUGHT = 'query($id: ID!, $first: Int) { product(id: $id) { id alsoBought(first: $first) { id name } } }';
const SIMILAR = 'query($id: ID!) { product(id: $id) { similar(first: 5) { id } } }';
const TRENDING = 'query($slug: String, $first: Int) { trendingProducts(first: $first, categorySlug: $slug) { id } }';
const MINE = '{ me { id recommendedProducts(first: 10) { id } } }';

describe('recommendations through the router', () => {
  let f: RecsFixture;
  let soap: { id: string; slug: string };
  let tents: { id: string; slug: string };
  // Tents and camping gear: bought together in structured ways.
  let tent: string, stove: string, bag: string, lamp: string, archived: string, soldOut: string, lonely: string;
  // Soap: a consumable category.
  let lavender: string, rosemary: string;

  beforeAll(async () => {
    const soapSlug = `soap-${Date.now().toString(36)}`;
    f = await startRecs({ consumable: [soapSlug] });
    tents = await newCategory(f);
    soap = await newCategory(f, soapSlug);
    [tent, stove, bag, lamp, archived, soldOut, lonely] = await Promise.all([
      catalogProduct(f, { categoryId: tents.id, name: 'Alpine Ripstop Tent', description: 'A tent for two, for nights under the stars', price: 29_900 }),
      catalogProduct(f, { categoryId: tents.id, name: 'Titanium Camping Stove', description: 'Cooks dinner under the stars', price: 5_900 }),
      catalogProduct(f, { categoryId: tents.id, name: 'Down Sleeping Bag', description: 'Warm nights under the stars', price: 19_900 }),
      catalogProduct(f, { categoryId: tents.id, name: 'Canvas Camping Lamp', description: 'Light for the tent', price: 2_900 }),
      catalogProduct(f, { categoryId: tents.id, name: 'Old Ripstop Tent', description: 'A tent for two, discontinued', price: 24_900 }),
      catalogProduct(f, { categoryId: tents.id, name: 'Summit Ripstop Tent', description: 'A tent for two, sold out', price: 27_900, stock: 0 }),
      catalogProduct(f, { categoryId: tents.id, name: 'Ripstop Tent Footprint', description: 'A groundsheet for your tent', price: 3_900 }),
    ]);
    [lavender, rosemary] = await Promise.all([
      catalogProduct(f, { categoryId: soap.id, name: 'Lavender Soap Bar', description: 'Gentle soap with lavender oil', price: 590 }),
      catalogProduct(f, { categoryId: soap.id, name: 'Rosemary Soap Bar', description: 'Gentle soap with rosemary oil', price: 590 }),
    ]);
    // Structure: tent goes with stove (often), bag (less), the archived and the sold-out tent (often); soap with soap.
    await importHistory(f, [
      ...Array.from({ length: 6 }, (_, i) => ({ items: [tent, stove, archived, soldOut], daysAgo: 20 + i })),
      ...Array.from({ length: 3 }, (_, i) => ({ items: [tent, bag], daysAgo: 10 + i })),
      { items: [stove, lamp], daysAgo: 40 },
      ...Array.from({ length: 5 }, (_, i) => ({ items: [lavender, rosemary], daysAgo: 1 + i })),
    ]);
    const archive = await gql(f.stack.url, 'mutation($id: ID!) { archiveProduct(id: $id) { active } }', { id: archived }, { token: f.admin });
    expect(archive.errors).toBeUndefined();
    await retrain(f);
  }, 180_000);

  afterAll(async () => {
    await f?.stop();
  });

  it('lists what was bought together, best first, leaving out archived and out-of-stock products', async () => {
    const res = await gql(f.stack.url, ALSO_BOUGHT, { id: tent, first: 5 });
    expect(res.errors).toBeUndefined();
    expect(ids(res.data!.product.alsoBought)).toEqual([stove, bag]);
    expect(res.data!.product.alsoBought[0].name).toBe('Titanium Camping Stove');
  });

  it('falls back to similar products for a product nobody bought with anything (cold start)', async () => {
    const res = await gql(f.stack.url, ALSO_BOUGHT, { id: lonely, first: 3 });
    expect(res.errors).toBeUndefined();
    const list = ids(res.data!.product.alsoBought);
    expect(list.length).toBeGreaterThan(0);
    expect(list).not.toContain(archived);
    expect(list).not.toContain(soldOut);
    // The other tents share the category, the terms and nearly the price band.
    expect(list[0]).toBe(tent);
  });

  it('lists similar products by category, terms and price band', async () => {
    const res = await gql(f.stack.url, SIMILAR, { id: lavender });
    expect(res.errors).toBeUndefined();
    expect(ids(res.data!.product.similar)[0]).toBe(rosemary);
  });

  it('ranks trending products by recent sales, per category', async () => {
    const inSoap = await gql(f.stack.url, TRENDING, { slug: soap.slug, first: 5 });
    expect(inSoap.errors).toBeUndefined();
    expect(new Set(ids(inSoap.data!.trendingProducts))).toEqual(new Set([lavender, rosemary]));
    const inTents = await gql(f.stack.url, TRENDING, { slug: tents.slug, first: 5 });
    // Time-decayed (half-life 7 days): tent (9 orders) first; bag's 3 orders of 10-12 days ago outweigh stove's 7
    // orders of 20-40 days ago; the archived and sold-out tents never show.
    expect(ids(inTents.data!.trendingProducts)).toEqual([tent, bag, stove, lamp]);
  });

  it('gives a new customer trending products (cold start), then learns from their views', async () => {
    const customer = await newCustomer(f);
    const cold = await gql(f.stack.url, MINE, {}, { token: customer.token });
    expect(cold.errors).toBeUndefined();
    expect(ids(cold.data!.me.recommendedProducts).slice(0, 2).sort()).toEqual([lavender, rosemary].sort());
    const view = await gql(f.stack.url, 'mutation($id: ID!) { recordProductView(productId: $id) }', { id: lonely }, { token: customer.token });
    expect(view.data).toEqual({ recordProductView: true });
    const warm = await gql(f.stack.url, MINE, {}, { token: customer.token });
    // The viewed footprint's nearest neighbour (the tent) now leads.
    expect(ids(warm.data!.me.recommendedProducts)[0]).toBe(tent);
  });

  it('learns from a real order: the order event (fan-out) reaches recommendations and notifications exactly once', async () => {
    const customer = await newCustomer(f);
    const orderId = await placePaidOrder(f, customer, [tent]);
    // recommendations recorded the paid order's lines from its own copy of the event.
    const lines = await eventually(
      () => f.sql`select product_id from purchases where order_id = ${orderId}`,
      (rows) => rows.length === 1,
    );
    expect(lines.map((r) => r.product_id)).toEqual([tent]);
    // notifications, on its own queue, planned the order's messages from the same events.
    const notificationsSql = (await import('postgres')).default(f.stack.subgraphs.notifications!.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const deliveries = await eventually(
        () => notificationsSql`select event_type from notification_deliveries where order_id = ${orderId}`,
        (rows) => rows.length > 0,
      );
      expect(deliveries.length).toBeGreaterThan(0);
      // Once per event and channel: no copy of the fan-out was consumed twice.
      const [dupes] = await notificationsSql`select count(*)::int as n from (select event_id, channel, recipient from notification_deliveries where order_id = ${orderId} group by 1, 2, 3 having count(*) > 1) d`;
      expect(dupes!.n).toBe(0);
    } finally {
      await notificationsSql.end();
    }
    // The incremental update counted the order once; a redelivered event changes nothing.
    const ordersOfTent = async () => (await f.sql`select orders from model_products where product_id = ${tent} and version = (select max(version) from model_versions where status = 'READY')`)[0]!.orders as number;
    expect(await ordersOfTent()).toBe(10);
    // The PAID event, delivered again (at least once on the wire), is recognised and changes nothing.
    const ordersSql = (await import('postgres')).default(f.stack.subgraphs.orders!.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const [paid] = await ordersSql`select payload from outbox where payload->>'orderId' = ${orderId} and payload->>'status' = 'PAID'`;
      expect(await f.recs.learning.handleOrderEvent(paid!.payload as OrderStatusEvent)).toBe('duplicate');
    } finally {
      await ordersSql.end();
    }
    expect(await ordersOfTent()).toBe(10);
    expect((await f.sql`select count(*)::int as n from purchases where order_id = ${orderId}`)[0]!.n).toBe(1);
    // The customer bought the tent: not recommended to them again (not a consumable), what goes with it is.
    const mine = await gql(f.stack.url, MINE, {}, { token: customer.token });
    const list = ids(mine.data!.me.recommendedProducts);
    expect(list).not.toContain(tent);
    expect(list[0]).toBe(stove);
  });

  it('learns a paid order from the order its event carries, without asking orders (which does not know it)', async () => {
    const orderId = crypto.randomUUID();
    const event: OrderStatusEvent = {
      eventId: crypto.randomUUID(),
      orderId,
      orderNumber: 'SG-SNAPSHOT',
      customerId: crypto.randomUUID(),
      status: 'PAID',
      previousStatus: 'RESERVED',
      sequence: 3,
      reason: null,
      at: new Date().toISOString(),
      order: {
        currency: 'EUR',
        subtotal: 2_000,
        discount: 0,
        shippingCost: 0,
        total: 2_000,
        placedAt: new Date().toISOString(),
        shippingAddress: { recipientName: null, line1: 'Hauptstraße 1', line2: null, city: 'Berlin', region: null, postalCode: '10115', country: 'DE' },
        items: [{ productId: lamp, productName: 'Lamp', sku: 'LAMP', quantity: 2, unitPrice: 1_000, lineTotal: 2_000 }],
      },
    };
    expect(await f.recs.learning.handleOrderEvent(event)).toBe('applied');
    const bought = await f.sql`select product_id, quantity from purchases where order_id = ${orderId}`;
    expect(bought.map((r) => [r.product_id, r.quantity])).toEqual([[lamp, 2]]);
  });

  it('recommends a consumable again to the customer who bought it', async () => {
    const customer = await newCustomer(f);
    await importHistory(f, [{ customer: customer.id, items: [lavender] }]);
    await retrain(f);
    const mine = await gql(f.stack.url, MINE, {}, { token: customer.token });
    const list = ids(mine.data!.me.recommendedProducts);
    // Soap bought with lavender (rosemary) leads; lavender itself stays recommended: soap runs out.
    expect(list[0]).toBe(rosemary);
    expect(list).toContain(lavender);
  });

  it('keeps serving the last complete model while a new one trains, and switches to it', async () => {
    const before = ids((await gql(f.stack.url, ALSO_BOUGHT, { id: lamp, first: 5 })).data!.product.alsoBought);
    expect(before).toEqual([stove]);
    await importHistory(f, Array.from({ length: 8 }, () => ({ items: [lamp, bag] })));
    const res = await gql(f.stack.url, 'mutation { retrainRecommendations { version status } }', {}, { token: f.admin });
    expect(res.data!.retrainRecommendations.status).toBe('TRAINING');
    const version = res.data!.retrainRecommendations.version as string;
    // Every answer while it trains is a complete list of one model or the other, never an error or a mix.
    const seen = new Set<string>();
    await eventually(
      async () => {
        const answer = await gql(f.stack.url, ALSO_BOUGHT, { id: lamp, first: 5 });
        expect(answer.errors).toBeUndefined();
        const list = ids(answer.data!.product.alsoBought);
        seen.add(JSON.stringify(list));
        const model = await gql(f.stack.url, '{ recommendationModel { version } }', {}, { token: f.admin });
        return { list, serving: model.data!.recommendationModel.version as string };
      },
      (state) => state.serving === version,
    );
    for (const list of seen) expect([JSON.stringify([stove]), JSON.stringify([bag, stove])]).toContain(list);
    const after = ids((await gql(f.stack.url, ALSO_BOUGHT, { id: lamp, first: 5 })).data!.product.alsoBought);
    expect(after).toEqual([bag, stove]);
  });

  it('answers alsoBought for a 20-product listing with one SQL statement', async () => {
    const listing = await gql(f.stack.url, '{ products(first: 20) { edges { node { id } } } }');
    const count = listing.data!.products.edges.length as number;
    expect(count).toBeGreaterThan(5);
    const before = f.queries.count;
    const res = await gql(f.stack.url, '{ products(first: 20) { edges { node { id alsoBought(first: 4) { id } } } } }');
    expect(res.errors).toBeUndefined();
    expect(f.queries.count - before).toBe(1);
  });

  it('refuses bad input and callers without the right', async () => {
    const tooMany = await gql(f.stack.url, ALSO_BOUGHT, { id: tent, first: 51 });
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badSlug = await gql(f.stack.url, TRENDING, { slug: 'Not A Slug!' });
    expect(badSlug.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const anonymous = await gql(f.stack.url, 'mutation($id: ID!) { recordProductView(productId: $id) }', { id: tent });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const customer = await newCustomer(f);
    const retrainAsCustomer = await gql(f.stack.url, 'mutation { retrainRecommendations { version } }', {}, { token: customer.token });
    expect(retrainAsCustomer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await newCustomer(f);
    const someoneElse = await gql(f.stack.url, 'query($id: ID!) { user(id: $id) { recommendedProducts { id } } }', { id: other.id }, { token: customer.token });
    expect(someoneElse.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const badImport = await gql(
      f.stack.url,
      'mutation($lines: [PurchaseHistoryInput!]!) { importPurchaseHistory(lines: $lines) }',
      { lines: [{ orderId: 'o1', customerId: 'c1', productId: tent, quantity: 0, purchasedAt: new Date().toISOString() }] },
      { token: f.admin },
    );
    expect(badImport.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await f.sql`select count(*)::int as n from purchases where order_id = 'o1'`)[0]!.n).toBe(0);
  });
});
