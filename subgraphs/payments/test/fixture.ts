import { randomUUID } from 'node:crypto';
import { gql, type GraphQLResponse } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { expect } from 'vitest';
import { internalCaller, LOGIN, newUserInput, REGISTER, routerSignedCaller, startStack, type TestStack } from '../../../test/support/stack.ts';
import type { PaymentsSubgraph } from '../src/server.ts';

/** users + payments and the router, signed-in callers, and a connection to payments' database. */
export interface PaymentsFixture {
  stack: TestStack;
  /** Access tokens and user ids. */
  admin: { token: string; id: string };
  customers: Array<{ token: string; id: string }>;
  /** Calls the payments subgraph directly as the orders service. */
  internal: ReturnType<typeof internalCaller>;
  /** The built subgraph (its provider adapter, to play the provider in crash scenarios). */
  built: PaymentsSubgraph;
  /** payments' own database, to check what was (not) written, the sandbox's ledger included. */
  sql: postgres.Sql;
  stop(): Promise<void>;
}

/** `env`: extra variables of the payments subgraph (e.g. a QUEUE_PREFIX the test listens on). */
export async function startPayments(env: Record<string, string> = {}): Promise<PaymentsFixture> {
  const stack = await startStack({ only: ['payments'], env: { payments: env } });
  const login = await gql(stack.url, LOGIN, { email: 'admin@example.com', password: 'admin-password-change-me' });
  const customers = [];
  for (let i = 0; i < 2; i++) {
    const res = await gql(stack.url, REGISTER, { input: newUserInput() });
    customers.push({ token: res.data!.register.accessToken as string, id: res.data!.register.user.id as string });
  }
  const sql = postgres(stack.subgraphs.payments!.databaseUrl, { max: 2, onnotice: () => {} });
  return {
    stack,
    admin: { token: login.data!.login.accessToken, id: login.data!.login.user.id },
    customers,
    internal: internalCaller(stack, 'payments'),
    built: stack.subgraphs.payments!.built as PaymentsSubgraph,
    sql,
    stop: async () => {
      await sql.end();
      await stack.stop();
    },
  };
}

export const PAYMENT = `id orderId status amount { amount currency formatted } capturedAmount { amount currency } refundedAmount { amount currency }
  method { brand last4 } declineReason refunds { id amount { amount currency formatted } reason createdAt } createdAt updatedAt`;

export const CAPTURE = `mutation($input: CapturePaymentInput!) { capturePayment(input: $input) { outcome reason payment { ${PAYMENT} } } }`;
export const CANCEL = `mutation($orderId: ID!, $reason: String!) { cancelPayment(orderId: $orderId, reason: $reason) { ${PAYMENT} } }`;
export const REFUND = `mutation($orderId: ID!, $amount: Int, $reason: String!) { refundPayment(orderId: $orderId, amount: $amount, reason: $reason) { ${PAYMENT} } }`;
export const VALIDATE_TOKEN = 'query($token: String!) { validatePaymentToken(token: $token) }';
export const ORDER_PAYMENTS = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id payment { ${PAYMENT} } } } }`;

export type CaptureInput = {
  orderId: string;
  customerId: string;
  amount: number;
  currency: string;
  paymentToken: string;
};

/** A capture request for a new order of the first customer: 25.00 EUR with tok_visa unless overridden. */
export function newCapture(f: PaymentsFixture, overrides: Partial<CaptureInput> = {}): CaptureInput {
  return { orderId: randomUUID(), customerId: f.customers[0]!.id, amount: 2500, currency: 'EUR', paymentToken: 'tok_visa', ...overrides };
}

export function capture(f: PaymentsFixture, input: Record<string, unknown>) {
  return f.internal(CAPTURE, { input });
}

/** capturePayment, expecting an answer (not an error); returns `capturePayment`. */
export async function captureOk(f: PaymentsFixture, input: Record<string, unknown>) {
  const res = await capture(f, input);
  expect(res.errors).toBeUndefined();
  return res.data!.capturePayment;
}

/** A captured payment of `amount` for a new order; returns the order id. */
export async function capturedOrder(f: PaymentsFixture, overrides: Partial<CaptureInput> = {}): Promise<string> {
  const input = newCapture(f, overrides);
  const result = await captureOk(f, input);
  expect(result.outcome).toBe('CAPTURED');
  return input.orderId;
}

export function cancel(f: PaymentsFixture, orderId: string, reason = 'order cancelled') {
  return f.internal(CANCEL, { orderId, reason });
}

/** refundPayment through the router, as the admin unless a token is given. */
export function refund(f: PaymentsFixture, variables: { orderId: string; amount?: number | null; reason?: string }, token = f.admin.token) {
  return gql(f.stack.url, REFUND, { reason: 'customer returned the goods', ...variables }, { token });
}

/** An order's payment as an internal service sees it through `_entities`. */
export async function paymentOf(f: PaymentsFixture, orderId: string) {
  const res = await f.internal(ORDER_PAYMENTS, { representations: [{ __typename: 'Order', id: orderId }] });
  expect(res.errors).toBeUndefined();
  return res.data!._entities[0].payment;
}

/** Row counts of every table: "nothing written" means these do not change. */
export async function tableCounts(f: PaymentsFixture) {
  const [row] = await f.sql`
    select (select count(*)::int from payments) as payments, (select count(*)::int from refunds) as refunds,
           (select count(*)::int from payment_events) as events, (select count(*)::int from provider_charges) as "providerCharges",
           (select count(*)::int from provider_faults) as "providerFaults", (select count(*)::int from outbox) as outbox`;
  return row;
}

/** The sandbox provider's operations for an order, oldest first: kind, amount and (authorizations) state. */
export async function providerOperations(f: PaymentsFixture, orderId: string) {
  return f.sql<Array<{ kind: string; amount: number; state: string | null; idempotencyKey: string }>>`
    select kind, amount, state, idempotency_key as "idempotencyKey" from provider_charges where reference = ${orderId} order by created_at, id`;
}

/** The kinds of the recorded payment events of an order, oldest first. */
export async function eventKinds(f: PaymentsFixture, orderId: string): Promise<string[]> {
  const rows = await f.sql<Array<{ kind: string }>>`
    select e.kind from payment_events e join payments p on p.id = e.payment_id where p.order_id = ${orderId} order by e.id`;
  return rows.map((row) => row.kind);
}

/** The authorization id payments recorded for an order. */
export async function authorizationIdOf(f: PaymentsFixture, orderId: string): Promise<string> {
  const [row] = await f.sql<Array<{ authorizationId: string }>>`select authorization_id as "authorizationId" from payments where order_id = ${orderId}`;
  return row!.authorizationId;
}

export const viewerCaller = (f: PaymentsFixture, viewer: Parameters<typeof routerSignedCaller>[2]) => routerSignedCaller(f.stack, 'payments', viewer);

export type Response = GraphQLResponse<Record<string, any>>;
