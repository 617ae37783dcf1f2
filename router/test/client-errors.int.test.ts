import { Writable } from 'node:stream';
import { errorCode, gql } from '@shopgraph/kit/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerToken, startRouter, startStack, type TestStack } from '../../test/support/stack.ts';
import { subscribe, wsClient } from '../../test/support/ws.ts';

/**
 * The router's answers to a client's own mistakes: an operationName that names nothing is HTTP 400 (not a
 * logged 500), and with introspection off (production) no error message suggests names from the schema.
 */

let stack: TestStack;
let production: Awaited<ReturnType<typeof startRouter>>;
/** What the production router logged at warn and above. */
const logged: Array<{ level: number; msg: string }> = [];

beforeAll(async () => {
  stack = await startStack({ only: ['products', 'orders', 'inventory', 'pricing', 'payments', 'shipping'] });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  production = await startRouter(stack, { env: { NODE_ENV: 'production' }, logger: pino({ level: 'warn' }, sink) });
});
afterAll(async () => {
  await production?.stop();
  await stack?.stop();
});

const TWO_OPERATIONS = 'query A { categories { id } } query B { me { id } }';

describe('unknown operationName', () => {
  it('is HTTP 400 OPERATION_RESOLUTION_FAILURE, executes nothing and logs no error', async () => {
    for (const url of [stack.url, production.url]) {
      logged.length = 0;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: TWO_OPERATIONS, operationName: 'Nope' }),
      });
      const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
      expect(response.status, url).toBe(400);
      expect(body.errors?.[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
      expect(body.errors?.[0]?.message).toBe('Unknown operation named "Nope".');
      expect(body.data ?? undefined).toBeUndefined();
    }
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('is HTTP 400 when a document of several operations names none', async () => {
    const res = await gql(production.url, TWO_OPERATIONS);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('OPERATION_RESOLUTION_FAILURE');
  });

  it('still runs the operation named (control)', async () => {
    const response = await fetch(production.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: TWO_OPERATIONS, operationName: 'B' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { me: null } });
  });
});

describe('"Did you mean" suggestions', () => {
  const FIELD_TYPO = '{ prodcts(first: 1) { edges { node { id } } } }';
  const ENUM_VARIABLE = 'query($status: OrderStatus) { orders(first: 1, status: $status) { edges { node { id } } } }';

  it('are shown in development, where introspection is on (control)', async () => {
    const field = await gql(stack.url, FIELD_TYPO);
    expect(field.errors![0]!.message).toMatch(/Did you mean "products/);
    const variable = await gql(stack.url, ENUM_VARIABLE, { status: 'PAY' });
    expect(variable.errors![0]!.message).toMatch(/Did you mean the enum value "PAID"\?/);
  });

  it('are hidden in production from validation and variable errors, over HTTP', async () => {
    const field = await gql(production.url, FIELD_TYPO);
    expect(errorCode(field)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(field.errors![0]!.message).toBe('Cannot query field "prodcts" on type "Query".');
    const literal = await gql(production.url, '{ orders(first: 1, status: PAY) { edges { node { id } } } }');
    expect(literal.errors![0]!.message).not.toMatch(/Did you mean|PAID/);
    const variable = await gql(production.url, ENUM_VARIABLE, { status: 'PAY' });
    expect(errorCode(variable)).toBe('BAD_USER_INPUT');
    expect(variable.errors![0]!.message).toContain('Value "PAY" does not exist in "OrderStatus" enum.');
    expect(variable.errors![0]!.message).not.toMatch(/Did you mean|PAID/);
  });

  it('are hidden in production over graphql-ws too', async () => {
    const client = wsClient(production.url, await customerToken(stack));
    try {
      const typo = subscribe(client, 'subscription { myOrderUpdate { status } }');
      const fieldTypo = subscribe(client, 'subscription($id: ID!) { orderStatusChanged(orderId: $id) { stauts } }', { id: 'x' });
      for (const received of [typo, fieldTypo]) {
        const error = (await received.ended()) as Array<{ message: string }>;
        expect(Array.isArray(error)).toBe(true);
        expect(error[0]!.message).toMatch(/^Cannot query field/);
        expect(error[0]!.message).not.toMatch(/Did you mean/);
      }
    } finally {
      await client.dispose();
    }
  });
});
