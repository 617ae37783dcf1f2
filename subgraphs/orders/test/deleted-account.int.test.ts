import { errorCode, gql } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCustomer, newProduct, orderInput, type OrdersFixture, PLACE_ORDER, startOrders } from './helpers.ts';

/**
 * A deleted account's access token is still validly signed until it expires: orders asks users whether the
 * account exists before writing a cart or an order for it.
 */

let f: OrdersFixture;
let usersSql: postgres.Sql;
let product: string;

beforeAll(async () => {
  f = await startOrders();
  usersSql = postgres(f.stack.usersDatabaseUrl, { max: 1, onnotice: () => {} });
  product = await newProduct(f, { stock: 100 });
});
afterAll(async () => {
  await usersSql?.end();
  await f?.stop();
});

const ADD = 'mutation($id: ID!) { addToCart(productId: $id, quantity: 1) { totalQuantity } }';

describe('a deleted account', () => {
  it('can neither fill a cart nor place an order with its still-signed token', async () => {
    const gone = await newCustomer(f);
    await usersSql`delete from users where id = ${gone.id}`;

    const add = await gql(f.stack.url, ADD, { id: product }, { token: gone.token });
    expect(errorCode(add)).toBe('UNAUTHENTICATED');
    const order = await gql(f.stack.url, PLACE_ORDER, { input: orderInput([{ productId: product, quantity: 1 }]) }, { token: gone.token });
    expect(errorCode(order)).toBe('UNAUTHENTICATED');
    expect(order.errors![0]!.message).toMatch(/no longer exists/);
    const rows = await f.sql`select count(*)::int as n from orders where customer_id = ${gone.id}`;
    expect(rows[0]!.n).toBe(0);
    const carts = await f.sql`select count(*)::int as n from carts where user_id = ${gone.id}`;
    expect(carts[0]!.n).toBe(0);

    // A live customer is not affected.
    const alive = await newCustomer(f);
    expect((await gql(f.stack.url, ADD, { id: product }, { token: alive.token })).data!.addToCart.totalQuantity).toBe(1);
  });
});
