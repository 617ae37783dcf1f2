import { createInternalTokenIssuer } from '@shopgraph/kit';
import { errorCode, gql } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, newUserInput, REGISTER, startStack, type TestStack } from '../../../test/support/stack.ts';

/** The catalog through the router: admin writes, search, pagination, archive, entity batching. */

let stack: TestStack;
let admin: string;
let customer: string;
let sql: postgres.Sql;
const categoryIds: Record<string, string> = {};

const CREATE_CATEGORY = 'mutation($input: CreateCategoryInput!) { createCategory(input: $input) { id slug parent { slug } } }';
const CREATE_PRODUCT = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku slug name active category { slug } } }';
const PRODUCTS = `query($first: Int, $after: String, $filter: ProductFilter) {
  products(first: $first, after: $after, filter: $filter) { edges { cursor node { id sku name } } pageInfo { hasNextPage endCursor } }
}`;

async function createProduct(input: Record<string, unknown>) {
  const res = await gql(stack.url, CREATE_PRODUCT, { input: { weightGrams: 250, ...input } }, { token: admin });
  expect(res.errors).toBeUndefined();
  return res.data!.createProduct as { id: string; sku: string; slug: string };
}

const productCount = async () => Number((await sql`select count(*)::int as n from products`)[0]!.n);

beforeAll(async () => {
  stack = await startStack({ only: ['products'] });
  sql = postgres(stack.subgraphs.products!.databaseUrl, { max: 1 });
  admin = (await gql(stack.url, LOGIN, { email: 'admin@example.com', password: 'admin-password-change-me' })).data!.login.accessToken;
  customer = (await gql(stack.url, REGISTER, { input: newUserInput() })).data!.register.accessToken;
  for (const [name, parent] of [['Apparel', null], ['Scarves', 'apparel'], ['Kitchen', null]] as const) {
    const res = await gql(stack.url, CREATE_CATEGORY, { input: { name, parentId: parent ? categoryIds[parent] : null } }, { token: admin });
    expect(res.errors).toBeUndefined();
    categoryIds[res.data!.createCategory.slug] = res.data!.createCategory.id;
  }
  await createProduct({ sku: 'wool-scarf', name: 'Merino Wool Scarf', description: 'Soft and warm.', categoryId: categoryIds.scarves });
  await createProduct({ sku: 'wool-socks', name: 'Hiking Socks', description: 'Made from thick wools for cold days.', categoryId: categoryIds.apparel });
  await createProduct({ sku: 'cotton-tee', name: 'Cotton T-Shirt', description: 'Light summer shirt.', categoryId: categoryIds.apparel });
  await createProduct({ sku: 'wool-blanket', name: 'Wool Blanket', description: 'Warm throw.', categoryId: categoryIds.kitchen });
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

describe('admin writes', () => {
  it('creates a product with a derived slug and upper-case SKU', async () => {
    const product = await createProduct({ sku: 'tea-pot-1', name: 'Tea Pot: Blue & White', categoryId: categoryIds.kitchen });
    expect(product).toMatchObject({ sku: 'TEA-POT-1', slug: 'tea-pot-blue-white' });
  });

  it('refuses customers (FORBIDDEN) and anonymous callers (UNAUTHENTICATED), writing nothing', async () => {
    const before = await productCount();
    const input = { sku: 'nope-1', name: 'Nope', weightGrams: 1 };
    expect(errorCode(await gql(stack.url, CREATE_PRODUCT, { input }, { token: customer }))).toBe('FORBIDDEN');
    expect(errorCode(await gql(stack.url, CREATE_PRODUCT, { input }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await gql(stack.url, CREATE_CATEGORY, { input: { name: 'Nope' } }, { token: customer }))).toBe('FORBIDDEN');
    expect(await productCount()).toBe(before);
  });

  it.each([
    ['a duplicate SKU', { sku: 'WOOL-SCARF', name: 'Other' }, 'CONFLICT'],
    ['a zero weight', { sku: 'w0', name: 'Weightless', weightGrams: 0 }, 'BAD_USER_INPUT'],
    ['a fractional weight', { sku: 'w1', name: 'Half', weightGrams: 1.5 }, 'BAD_USER_INPUT'],
    ['an image that is not an http URL', { sku: 'img-1', name: 'Img', images: ['javascript:alert(1)'] }, 'BAD_USER_INPUT'],
    ['an unknown category', { sku: 'cat-1', name: 'Lost', categoryId: '00000000-0000-0000-0000-000000000000' }, 'BAD_USER_INPUT'],
    ['a malformed SKU', { sku: 'has spaces', name: 'Spaces' }, 'BAD_USER_INPUT'],
  ])('refuses %s and writes nothing', async (_label, input, code) => {
    const before = await productCount();
    const res = await gql(stack.url, CREATE_PRODUCT, { input: { weightGrams: 100, ...input } }, { token: admin });
    expect(errorCode(res)).toBe(code);
    expect(await productCount()).toBe(before);
  });

  it('updates and archives: archived products leave listings but stay readable by id', async () => {
    const product = await createProduct({ sku: 'old-lamp', name: 'Old Lamp' });
    const updated = await gql(stack.url, 'mutation($id: ID!) { updateProduct(id: $id, input: { name: "Older Lamp", weightGrams: 900 }) { name weightGrams } }', { id: product.id }, { token: admin });
    expect(updated.data!.updateProduct).toEqual({ name: 'Older Lamp', weightGrams: 900 });
    const archived = await gql(stack.url, 'mutation($id: ID!) { archiveProduct(id: $id) { active } }', { id: product.id }, { token: admin });
    expect(archived.data!.archiveProduct.active).toBe(false);
    const listed = await gql(stack.url, PRODUCTS, { first: 100, filter: { search: 'lamp' } });
    expect(listed.data!.products.edges).toHaveLength(0);
    const byId = await gql(stack.url, 'query($id: ID) { product(id: $id) { name active } }', { id: product.id });
    expect(byId.data!.product).toEqual({ name: 'Older Lamp', active: false });
    const adminList = await gql(stack.url, PRODUCTS, { first: 100, filter: { search: 'lamp', includeArchived: true } }, { token: admin });
    expect(adminList.data!.products.edges).toHaveLength(1);
    expect(errorCode(await gql(stack.url, PRODUCTS, { filter: { includeArchived: true } }, { token: customer }))).toBe('FORBIDDEN');
  });

  it('reports an unknown product id as NOT_FOUND', async () => {
    const res = await gql(stack.url, 'mutation { archiveProduct(id: "00000000-0000-0000-0000-000000000000") { id } }', {}, { token: admin });
    expect(errorCode(res)).toBe('NOT_FOUND');
  });
});

describe('reading the catalog', () => {
  it('finds a product by id, sku (any case) or slug, and needs exactly one of them', async () => {
    const bySku = await gql(stack.url, '{ product(sku: "wool-scarf") { id slug category { slug parent { slug } } } }');
    expect(bySku.data!.product.category).toEqual({ slug: 'scarves', parent: { slug: 'apparel' } });
    const bySlug = await gql(stack.url, 'query($s: String) { product(slug: $s) { id } }', { s: bySku.data!.product.slug });
    expect(bySlug.data!.product.id).toBe(bySku.data!.product.id);
    expect(errorCode(await gql(stack.url, '{ product(sku: "x", slug: "y") { id } }'))).toBe('BAD_USER_INPUT');
    expect((await gql(stack.url, '{ product(id: "not-an-id") { id } }')).data!.product).toBeNull();
  });

  it('searches name and description, case- and word-form-tolerant, name matches first', async () => {
    const res = await gql(stack.url, PRODUCTS, { first: 10, filter: { search: 'WOOL' } });
    const names = res.data!.products.edges.map((e: { node: { name: string } }) => e.node.name);
    expect(names).toEqual(expect.arrayContaining(['Merino Wool Scarf', 'Wool Blanket', 'Hiking Socks']));
    expect(names).toHaveLength(3);
    expect(names.indexOf('Hiking Socks')).toBe(2);
  });

  it('filters by category including subcategories, combined with search', async () => {
    const res = await gql(stack.url, PRODUCTS, { first: 10, filter: { search: 'wool', categorySlug: 'apparel' } });
    const skus = res.data!.products.edges.map((e: { node: { sku: string } }) => e.node.sku).sort();
    expect(skus).toEqual(['WOOL-SCARF', 'WOOL-SOCKS']);
    const unknown = await gql(stack.url, PRODUCTS, { filter: { categorySlug: 'no-such-category' } });
    expect(unknown.data!.products.edges).toEqual([]);
  });

  // Punctuation is not syntax: an input finds what its words find (a quoted phrase at most that), never
  // the whole catalog, and operators alone find nothing.
  it.each([
    ['quotes', `"wool' OR 1=1 --`, 'WOOL', 'subset'],
    ['LIKE wildcards', '%wool%_', 'WOOL', 'equal'],
    ['backslashes', 'wool\\\\ \\', 'WOOL', 'equal'],
    ['operators only', '& | ! : * ( ) <->', null, 'equal'],
  ])('is safe with %s', async (_label, search, sameAs, relation) => {
    const skus = async (text: string) =>
      ((await gql(stack.url, PRODUCTS, { first: 100, filter: { search: text } })).data!.products.edges as Array<{ node: { sku: string } }>)
        .map((e) => e.node.sku)
        .sort();
    const res = await gql(stack.url, PRODUCTS, { first: 100, filter: { search } });
    expect(res.errors).toBeUndefined();
    const found = res.data!.products.edges.map((e: { node: { sku: string } }) => e.node.sku).sort();
    const words = sameAs ? await skus(sameAs) : [];
    if (sameAs) expect(words.length).toBeGreaterThan(0);
    if (relation === 'equal') expect(found).toEqual(words);
    else expect(found.every((sku: string) => words.includes(sku))).toBe(true);
  });

  it('refuses a NUL character in a search with BAD_USER_INPUT, as every subgraph refuses unstorable text', async () => {
    const res = await gql(stack.url, PRODUCTS, { first: 5, filter: { search: 'wool\u0000' } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });

  it('refuses a 10 kB search with BAD_USER_INPUT', async () => {
    const res = await gql(stack.url, PRODUCTS, { first: 5, filter: { search: 'wool '.repeat(2048) } });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });

  it('refuses first over 100 and a forged cursor', async () => {
    expect(errorCode(await gql(stack.url, PRODUCTS, { first: 101 }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(stack.url, PRODUCTS, { first: 5, after: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_USER_INPUT');
  });

  it('keeps pages stable while products are added', async () => {
    for (let i = 0; i < 6; i++) await createProduct({ sku: `page-${i}`, name: `Paging Item ${i}`, description: 'paging' });
    const before = await gql(stack.url, PRODUCTS, { first: 100 });
    const all = before.data!.products.edges.map((e: { node: { id: string } }) => e.node.id);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; ; page++) {
      const res: any = await gql(stack.url, PRODUCTS, { first: 3, after });
      seen.push(...res.data.products.edges.map((e: { node: { id: string } }) => e.node.id));
      // Inserts while paging land before the first page and must not shift later pages.
      await createProduct({ sku: `inserted-${page}`, name: `Inserted ${page}` });
      if (!res.data.products.pageInfo.hasNextPage) break;
      after = res.data.products.pageInfo.endCursor;
    }
    expect(seen).toEqual(all);
  });

  it('keeps search pages stable and complete', async () => {
    const all = (await gql(stack.url, PRODUCTS, { first: 100, filter: { search: 'paging item' } })).data!.products.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(all.length).toBe(6);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const res: any = await gql(stack.url, PRODUCTS, { first: 4, after, filter: { search: 'paging item' } });
      seen.push(...res.data.products.edges.map((e: { node: { id: string } }) => e.node.id));
      after = res.data.products.pageInfo.hasNextPage ? res.data.products.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(all);
  });

  it('lists categories and a category’s products', async () => {
    const res = await gql(stack.url, '{ categories { slug products(first: 10) { edges { node { sku } } } } }');
    const kitchen = res.data!.categories.find((c: { slug: string }) => c.slug === 'kitchen');
    expect(kitchen.products.edges.map((e: { node: { sku: string } }) => e.node.sku)).toContain('WOOL-BLANKET');
  });
});

describe('Product entity resolution', () => {
  it('resolves 100 representations by id or sku with one SQL query each', async () => {
    const headers = { 'x-shopgraph-internal': await createInternalTokenIssuer('inventory', stack.internalSecret)() };
    const ids = (await gql(stack.url, PRODUCTS, { first: 5 })).data!.products.edges.map((e: { node: { id: string } }) => e.node.id);
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Product', id: ids[i % ids.length] }));
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku weightGrams active } } }';
    const queries = stack.subgraphs.products!.queries;
    let before = queries.count;
    const byId = await gql(stack.subgraphs.products!.url, query, { r: representations }, { headers });
    expect(byId.data!._entities).toHaveLength(100);
    expect(queries.count - before).toBe(1);
    before = queries.count;
    const bySku = await gql(stack.subgraphs.products!.url, query, { r: [{ __typename: 'Product', sku: 'wool-scarf' }, { __typename: 'Product', sku: 'NOPE' }] }, { headers });
    expect(bySku.data!._entities.map((e: { sku: string } | null) => e?.sku ?? null)).toEqual(['WOOL-SCARF', null]);
    expect(queries.count - before).toBe(1);
  });
});
