import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { ADJUST, adjust, adminToken, createProduct, customerToken, MOVEMENTS, movementCount, stockOf, stockRowCount } from './helpers.ts';

/** Stock levels and admin adjustments through the router, against the real products subgraph. */

let stack: TestStack;
let admin: string;
let adminId: string;
let customer: string;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'inventory'] });
  admin = await adminToken(stack);
  adminId = (await gql(stack.url, '{ me { id } }', {}, { token: admin })).data!.me.id;
  customer = await customerToken(stack);
});
afterAll(() => stack?.stop());

describe('Product.stock and Product.inStock', () => {
  it('are 0/0/0 and false for a product that never had stock', async () => {
    const productId = await createProduct(stack, admin);
    expect(await stockOf(stack, productId)).toEqual({ onHand: 0, reserved: 0, available: 0, inStock: false });
  });

  it('are public: anonymous shoppers see them next to the catalog fields', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 4);
    const res = await gql(stack.url, `query($id: ID!) { product(id: $id) { name inStock stock { available } } }`, { id: productId });
    expect(res.errors).toBeUndefined();
    expect(res.data!.product).toMatchObject({ inStock: true, stock: { available: 4 } });
  });
});

describe('adjustStock', () => {
  it('counts stock in and out and records every movement, newest first', async () => {
    const productId = await createProduct(stack, admin);
    expect(await adjust(stack, admin, productId, 10, 'delivery #1')).toEqual({ onHand: 10, reserved: 0, available: 10 });
    expect(await adjust(stack, admin, productId, -3, 'damaged in storage')).toEqual({ onHand: 7, reserved: 0, available: 7 });
    expect(await adjust(stack, admin, productId, -7, 'stock-take')).toEqual({ onHand: 0, reserved: 0, available: 0 });
    expect(await stockOf(stack, productId)).toEqual({ onHand: 0, reserved: 0, available: 0, inStock: false });

    const res = await gql(stack.url, MOVEMENTS, { productId }, { token: admin });
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.stockMovements.edges.map((e: { node: unknown }) => e.node);
    expect(nodes.map((n: { delta: number; reason: string; kind: string }) => [n.kind, n.delta, n.reason])).toEqual([
      ['ADJUSTMENT', -7, 'stock-take'],
      ['ADJUSTMENT', -3, 'damaged in storage'],
      ['ADJUSTMENT', 10, 'delivery #1'],
    ]);
    expect(nodes[1]).toMatchObject({ orderId: null, actor: { id: adminId }, product: { id: productId }, level: { onHand: 7, reserved: 0, available: 7 } });
  });

  it('resolves the movement author through the users subgraph', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 1);
    const res = await gql(stack.url, `query($p: ID!) { stockMovements(productId: $p) { edges { node { actor { email role } product { name } } } } }`, { p: productId }, { token: admin });
    expect(res.errors).toBeUndefined();
    expect(res.data!.stockMovements.edges[0].node).toMatchObject({ actor: { email: 'admin@example.com', role: 'ADMIN' }, product: { name: expect.stringMatching(/^Product SKU-/) } });
  });

  it('trims the reason', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 2, '  recount  ');
    const res = await gql(stack.url, MOVEMENTS, { productId }, { token: admin });
    expect(res.data!.stockMovements.edges[0].node.reason).toBe('recount');
  });

  it('rejects bad input with BAD_USER_INPUT and writes nothing', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 5);
    const cases: Array<[string, Record<string, unknown>]> = [
      ['zero delta', { delta: 0 }],
      ['non-integer delta', { delta: 1.5 }],
      ['delta above 1,000,000', { delta: 1_000_001 }],
      ['delta below -1,000,000', { delta: -1_000_001 }],
      ['delta beyond 32 bits', { delta: 2 ** 31 }],
      ['empty reason', { reason: '' }],
      ['blank reason', { reason: '   ' }],
      ['reason over 200 characters', { reason: 'x'.repeat(201) }],
      ['removing more than is available', { delta: -6 }],
    ];
    for (const [name, change] of cases) {
      const res = await gql(stack.url, ADJUST, { productId, delta: 1, reason: 'valid', ...change }, { token: admin });
      expect(errorCode(res), name).toBe('BAD_USER_INPUT');
    }
    expect(await stockOf(stack, productId)).toEqual({ onHand: 5, reserved: 0, available: 5, inStock: true });
    expect(await movementCount(stack, admin, productId)).toBe(1);
  });

  it('says how many are available when a removal would go below zero', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 3);
    const res = await gql(stack.url, ADJUST, { productId, delta: -4, reason: 'breakage' }, { token: admin });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toBe('Cannot remove 4 units: only 3 are available');
    expect(res.errors![0]!.extensions).toMatchObject({ field: 'delta', available: 3 });
  });

  it('refuses a removal from a product that never had stock, creating no stock row', async () => {
    const productId = await createProduct(stack, admin);
    const res = await gql(stack.url, ADJUST, { productId, delta: -1, reason: 'oops' }, { token: admin });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(await movementCount(stack, admin, productId)).toBe(0);
    expect(await stockRowCount(stack, productId)).toBe(0);
  });

  it('answers NOT_FOUND for a product the catalog does not know, and writes nothing', async () => {
    for (const productId of ['00000000-0000-4000-8000-000000000000', 'not-a-product']) {
      const res = await gql(stack.url, ADJUST, { productId, delta: 5, reason: 'delivery' }, { token: admin });
      expect(errorCode(res)).toBe('NOT_FOUND');
      expect(await movementCount(stack, admin, productId)).toBe(0);
    }
  });

  it('validates the input before asking the catalog (bad input on an unknown product is BAD_USER_INPUT)', async () => {
    const res = await gql(stack.url, ADJUST, { productId: '00000000-0000-4000-8000-000000000000', delta: 0, reason: 'x' }, { token: admin });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });

  it('still adjusts archived products (e.g. to write off what is left)', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 3);
    const archived = await gql(stack.url, 'mutation($id: ID!) { archiveProduct(id: $id) { active } }', { id: productId }, { token: admin });
    expect(archived.data!.archiveProduct.active).toBe(false);
    expect(await adjust(stack, admin, productId, -3, 'write-off')).toEqual({ onHand: 0, reserved: 0, available: 0 });
  });

  it('is for admins: customers get FORBIDDEN, anonymous callers UNAUTHENTICATED, and nothing is written', async () => {
    const productId = await createProduct(stack, admin);
    expect(errorCode(await gql(stack.url, ADJUST, { productId, delta: 5, reason: 'gift' }, { token: customer }))).toBe('FORBIDDEN');
    expect(errorCode(await gql(stack.url, ADJUST, { productId, delta: 5, reason: 'gift' }))).toBe('UNAUTHENTICATED');
    expect(await stockOf(stack, productId)).toMatchObject({ onHand: 0 });
    expect(await movementCount(stack, admin, productId)).toBe(0);
  });
});

describe('concurrent adjustments', () => {
  it('applies 100 concurrent mixed adjustments exactly when stock suffices', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 1_000);
    const deltas = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? 3 : -7));
    const results = await Promise.all(deltas.map((delta) => gql(stack.url, ADJUST, { productId, delta, reason: 'concurrent' }, { token: admin })));
    for (const res of results) {
      expect(res.errors).toBeUndefined();
      const { onHand, reserved, available } = res.data!.adjustStock;
      expect(onHand).toBe(available + reserved);
      expect(available).toBeGreaterThanOrEqual(0);
    }
    expect(await stockOf(stack, productId)).toEqual({ onHand: 800, reserved: 0, available: 800, inStock: true });
    expect(await movementCount(stack, admin, productId)).toBe(101);
  });

  it('never goes below zero when concurrent removals ask for more than there is', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 10);
    // 60 removals of 1 and 40 additions of 1 race; whatever the order, every result is consistent.
    const deltas = Array.from({ length: 100 }, (_, i) => (i % 5 < 3 ? -1 : 1));
    const results = await Promise.all(deltas.map((delta) => gql(stack.url, ADJUST, { productId, delta, reason: 'race' }, { token: admin })));
    let applied = 0;
    let succeeded = 0;
    results.forEach((res, i) => {
      if (res.errors) {
        expect(errorCode(res)).toBe('BAD_USER_INPUT');
        expect(deltas[i]).toBe(-1);
        return;
      }
      const { onHand, reserved, available } = res.data!.adjustStock;
      expect(onHand).toBe(available + reserved);
      expect(available).toBeGreaterThanOrEqual(0);
      applied += deltas[i]!;
      succeeded += 1;
    });
    // At least 10 removals always fit; every addition always fits.
    expect(succeeded).toBeGreaterThanOrEqual(50);
    const level = await stockOf(stack, productId);
    expect(level).toMatchObject({ onHand: 10 + applied, reserved: 0, available: 10 + applied });
    expect(await movementCount(stack, admin, productId)).toBe(1 + succeeded);
  });

  it('lets exactly the stock on hand be removed by 100 concurrent removals', async () => {
    const productId = await createProduct(stack, admin);
    await adjust(stack, admin, productId, 10);
    const results = await Promise.all(Array.from({ length: 100 }, () => gql(stack.url, ADJUST, { productId, delta: -1, reason: 'race' }, { token: admin })));
    expect(results.filter((res) => !res.errors)).toHaveLength(10);
    expect(results.filter((res) => errorCode(res) === 'BAD_USER_INPUT')).toHaveLength(90);
    expect(await stockOf(stack, productId)).toEqual({ onHand: 0, reserved: 0, available: 0, inStock: false });
    expect(await movementCount(stack, admin, productId)).toBe(11);
  });
});

describe('stockMovements', () => {
  it('pages newest first with Relay cursors', async () => {
    const productId = await createProduct(stack, admin);
    for (const delta of [1, 2, 3, 4, 5]) await adjust(stack, admin, productId, delta);
    const first = await gql(stack.url, MOVEMENTS, { productId, first: 2 }, { token: admin });
    expect(first.data!.stockMovements.edges.map((e: { node: { delta: number } }) => e.node.delta)).toEqual([5, 4]);
    expect(first.data!.stockMovements.pageInfo.hasNextPage).toBe(true);
    const second = await gql(stack.url, MOVEMENTS, { productId, first: 2, after: first.data!.stockMovements.pageInfo.endCursor }, { token: admin });
    expect(second.data!.stockMovements.edges.map((e: { node: { delta: number } }) => e.node.delta)).toEqual([3, 2]);
    const last = await gql(stack.url, MOVEMENTS, { productId, first: 2, after: second.data!.stockMovements.pageInfo.endCursor }, { token: admin });
    expect(last.data!.stockMovements.edges.map((e: { node: { delta: number } }) => e.node.delta)).toEqual([1]);
    expect(last.data!.stockMovements.pageInfo).toEqual({ hasNextPage: false, endCursor: last.data!.stockMovements.edges[0].cursor });
  });

  it('caps first at 100 and rejects malformed cursors', async () => {
    const productId = await createProduct(stack, admin);
    expect(errorCode(await gql(stack.url, MOVEMENTS, { productId, first: 101 }, { token: admin }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(stack.url, MOVEMENTS, { productId, first: 0 }, { token: admin }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(stack.url, MOVEMENTS, { productId, after: 'not-a-cursor' }, { token: admin }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(stack.url, MOVEMENTS, { productId, after: Buffer.from('["x"]').toString('base64url') }, { token: admin }))).toBe('BAD_USER_INPUT');
  });

  it('is for admins', async () => {
    const productId = await createProduct(stack, admin);
    expect(errorCode(await gql(stack.url, MOVEMENTS, { productId }, { token: customer }))).toBe('FORBIDDEN');
    expect(errorCode(await gql(stack.url, MOVEMENTS, { productId }))).toBe('UNAUTHENTICATED');
  });
});
