import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from '../../../test/support/stack.ts';
import { adjust, adminToken, createProduct, internalCaller } from './helpers.ts';

/** Product as other subgraphs and the router see it on inventory: `_entities` with Product representations. */

let stack: TestStack;
let internal: ReturnType<typeof internalCaller>;
const stocked: Array<{ id: string; units: number }> = [];

const ENTITIES = `query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id inStock stock { onHand reserved available } } }
}`;

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'inventory'] });
  internal = internalCaller(stack);
  const admin = await adminToken(stack);
  for (let i = 0; i < 5; i++) {
    const id = await createProduct(stack, admin);
    if (i > 0) await adjust(stack, admin, id, i * 10);
    stocked.push({ id, units: i * 10 });
  }
});
afterAll(() => stack?.stop());

describe('Product entity resolution', () => {
  it('resolves 100 representations with one SQL query', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'Product', id: stocked[i % stocked.length]!.id }));
    const queries = stack.subgraphs.inventory!.queries;
    const before = queries.count;
    const res = await internal(ENTITIES, { representations });
    expect(res.errors).toBeUndefined();
    expect(queries.count - before).toBe(1);
    expect(res.data!._entities).toHaveLength(100);
    res.data!._entities.forEach((entity: { id: string; inStock: boolean; stock: { onHand: number } }, i: number) => {
      const expected = stocked[i % stocked.length]!;
      expect(entity).toEqual({ id: expected.id, inStock: expected.units > 0, stock: { onHand: expected.units, reserved: 0, available: expected.units } });
    });
  });

  it('resolves any id, with 0/0/0 for products inventory has never stocked', async () => {
    const representations = [
      { __typename: 'Product', id: '00000000-0000-4000-8000-000000000000' },
      { __typename: 'Product', id: 'not-a-uuid' },
    ];
    const res = await internal(ENTITIES, { representations });
    expect(res.data!._entities).toEqual(representations.map(({ id }) => ({ id, inStock: false, stock: { onHand: 0, reserved: 0, available: 0 } })));
  });

  it('joins stock onto a product listing through the router', async () => {
    const res = await gql(stack.url, '{ products(first: 100) { edges { node { id name stock { available } inStock } } } }');
    expect(res.errors).toBeUndefined();
    const byId = new Map(res.data!.products.edges.map((e: { node: { id: string } }) => [e.node.id, e.node]));
    for (const { id, units } of stocked) expect(byId.get(id)).toMatchObject({ stock: { available: units }, inStock: units > 0 });
  });

  it('refuses callers without router or internal credentials', async () => {
    const res = await gql(stack.subgraphs.inventory!.url, ENTITIES, { representations: [{ __typename: 'Product', id: stocked[0]!.id }] });
    expect(res.status).toBe(401);
    expect(res.data).toBeUndefined();
  });
});
