import { createInternalTokenIssuer } from '@shopgraph/kit';
import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUserInput, REGISTER, routerSignedCaller, startStack, type TestStack } from '../../../test/support/stack.ts';

/** The users subgraph as other subgraphs see it: `_entities` with User representations. */

let stack: TestStack;
let internalHeaders: Record<string, string>;
const ids: string[] = [];

const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email name addresses { city } } } }`;

beforeAll(async () => {
  stack = await startStack();
  internalHeaders = { 'x-shopgraph-internal': await createInternalTokenIssuer('orders', stack.internalSecret)() };
  for (let i = 0; i < 5; i++) {
    const res = await gql(stack.url, REGISTER, { input: newUserInput() });
    ids.push(res.data!.register.user.id);
  }
});
afterAll(() => stack?.stop());

describe('User entity resolution', () => {
  it('resolves 100 representations with one SQL query for users and one for addresses', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => ({ __typename: 'User', id: ids[i % ids.length] }));
    const before = stack.usersQueries.count;
    const res = await gql(stack.usersUrl, ENTITIES, { representations }, { headers: internalHeaders });
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toHaveLength(100);
    expect(res.data!._entities[7].id).toBe(ids[7 % ids.length]);
    expect(stack.usersQueries.count - before).toBe(2);
  });

  it('returns null for unknown or malformed ids, in place', async () => {
    const representations = [
      { __typename: 'User', id: ids[0] },
      { __typename: 'User', id: '00000000-0000-0000-0000-000000000000' },
      { __typename: 'User', id: 'not-a-uuid' },
    ];
    const res = await gql(stack.usersUrl, ENTITIES, { representations }, { headers: internalHeaders });
    expect(res.data!._entities.map((e: { id: string } | null) => e?.id ?? null)).toEqual([ids[0], null, null]);
  });

  it('shows a customer only their own user through _entities', async () => {
    const call = routerSignedCaller(stack, 'users', { userId: ids[0]!, role: 'CUSTOMER' });
    const own = await call(ENTITIES, { representations: [{ __typename: 'User', id: ids[0] }] });
    expect(own.data!._entities[0].id).toBe(ids[0]);
    const other = await call(ENTITIES, { representations: [{ __typename: 'User', id: ids[1] }] });
    expect(other.data!._entities[0]).toBeNull();
    expect(other.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('refuses callers without router or internal credentials', async () => {
    const res = await gql(stack.usersUrl, ENTITIES, { representations: [{ __typename: 'User', id: ids[0] }] });
    expect(res.status).toBe(401);
    expect(res.data).toBeUndefined();
  });
});
