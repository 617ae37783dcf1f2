import { randomUUID } from 'node:crypto';
import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL, CAPTURE, capturedOrder, newCapture, ORDER_PAYMENTS, type PaymentsFixture, refund, startPayments, tableCounts, VALIDATE_TOKEN, viewerCaller } from './fixture.ts';

/**
 * Order.payment as the router and other subgraphs see it: `_entities` with Order representations, who may
 * see which payment, batching, and the internal operations' absence from the public graph.
 */

let f: PaymentsFixture;
/** Orders paid by the first customer, and one by the second. */
const ownOrders: string[] = [];
let foreignOrder: string;

const representation = (id: string) => ({ __typename: 'Order', id });

beforeAll(async () => {
  f = await startPayments();
  for (let i = 0; i < 10; i++) ownOrders.push(await capturedOrder(f, { amount: 1000 + i }));
  foreignOrder = await capturedOrder(f, { customerId: f.customers[1]!.id });
  expect((await refund(f, { orderId: ownOrders[0]!, amount: 100 })).errors).toBeUndefined();
});
afterAll(() => f?.stop());

describe('Order.payment through _entities', () => {
  it('resolves 100 Order representations with one SQL query', async () => {
    const representations = Array.from({ length: 100 }, (_, i) => representation(i < ownOrders.length ? ownOrders[i]! : randomUUID()));
    const queries = f.stack.subgraphs.payments!.queries;
    const before = queries.count;
    const res = await f.internal(
      `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id payment { id status amount { amount } method { brand } } } } }`,
      { representations },
    );
    expect(res.errors).toBeUndefined();
    expect(queries.count - before).toBe(1);
    expect(res.data!._entities).toHaveLength(100);
    res.data!._entities.forEach((entity: { id: string; payment: { amount: { amount: number } } | null }, i: number) => {
      expect(entity.id).toBe(representations[i]!.id);
      if (i < ownOrders.length) expect(entity.payment!.amount.amount).toBe(1000 + i);
      else expect(entity.payment).toBeNull();
    });
  });

  it('loads the refunds of a whole batch with one more query', async () => {
    const queries = f.stack.subgraphs.payments!.queries;
    const before = queries.count;
    const res = await f.internal(ORDER_PAYMENTS, { representations: ownOrders.map(representation) });
    expect(res.errors).toBeUndefined();
    expect(queries.count - before).toBe(2);
    expect(res.data!._entities[0].payment.refunds).toMatchObject([{ amount: { amount: 100 } }]);
    expect(res.data!._entities[1].payment.refunds).toEqual([]);
  });

  it('answers null, in place and without SQL, for malformed order ids', async () => {
    const queries = f.stack.subgraphs.payments!.queries;
    const before = queries.count;
    const res = await f.internal(ORDER_PAYMENTS, { representations: [representation('not-a-uuid'), representation('')] });
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([
      { id: 'not-a-uuid', payment: null },
      { id: '', payment: null },
    ]);
    expect(queries.count - before).toBe(0);
  });

  it("shows a customer their own payments and nobody else's, without an error that would tell", async () => {
    const asCustomer = viewerCaller(f, { userId: f.customers[0]!.id, role: 'CUSTOMER' });
    const res = await asCustomer(ORDER_PAYMENTS, { representations: [representation(ownOrders[1]!), representation(foreignOrder)] });
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities[0].payment).toMatchObject({ orderId: ownOrders[1], status: 'CAPTURED' });
    expect(res.data!._entities[1]).toEqual({ id: foreignOrder, payment: null });

    const asOther = viewerCaller(f, { userId: f.customers[1]!.id, role: 'CUSTOMER' });
    const other = await asOther(ORDER_PAYMENTS, { representations: [representation(ownOrders[1]!), representation(foreignOrder)] });
    expect(other.errors).toBeUndefined();
    expect(other.data!._entities.map((e: { payment: { orderId: string } | null }) => e.payment?.orderId ?? null)).toEqual([null, foreignOrder]);
  });

  it('shows admins and internal services every payment, and anonymous callers none', async () => {
    const representations = [representation(ownOrders[2]!), representation(foreignOrder)];
    for (const caller of [viewerCaller(f, { userId: f.admin.id, role: 'ADMIN' }), f.internal]) {
      const res = await caller(ORDER_PAYMENTS, { representations });
      expect(res.data!._entities.map((e: { payment: { orderId: string } }) => e.payment.orderId)).toEqual([ownOrders[2], foreignOrder]);
    }
    const anonymous = await viewerCaller(f, null)(ORDER_PAYMENTS, { representations });
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data!._entities.map((e: { payment: unknown }) => e.payment)).toEqual([null, null]);
  });

  it('refuses callers without router or internal credentials', async () => {
    const res = await gql(f.stack.subgraphs.payments!.url, ORDER_PAYMENTS, { representations: [representation(ownOrders[0]!)] });
    expect(res.status).toBe(401);
    expect(res.data).toBeUndefined();
  });
});

describe('internal operations', () => {
  it('are absent from the public graph', async () => {
    const mutations = await gql(f.stack.url, '{ __type(name: "Mutation") { fields { name } } }');
    const mutationNames = mutations.data!.__type.fields.map((field: { name: string }) => field.name);
    expect(mutationNames).toContain('refundPayment');
    expect(mutationNames).not.toContain('capturePayment');
    expect(mutationNames).not.toContain('cancelPayment');
    const queries = await gql(f.stack.url, '{ __type(name: "Query") { fields { name } } }');
    expect(queries.data!.__type.fields.map((field: { name: string }) => field.name)).not.toContain('validatePaymentToken');
    for (const type of ['PaymentResult', 'CapturePaymentInput', 'CaptureOutcome']) {
      expect((await gql(f.stack.url, `{ __type(name: "${type}") { name } }`)).data!.__type).toBeNull();
    }

    const counts = await tableCounts(f);
    const viaRouter = await gql(f.stack.url, CAPTURE, { input: newCapture(f) }, { token: f.admin.token });
    expect(errorCode(viaRouter)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await tableCounts(f)).toEqual(counts);
  });

  it('are refused to router-signed callers, admins included, and write nothing', async () => {
    const counts = await tableCounts(f);
    const asAdmin = viewerCaller(f, { userId: f.admin.id, role: 'ADMIN' });
    expect(errorCode(await asAdmin(CAPTURE, { input: newCapture(f) }))).toBe('FORBIDDEN');
    expect(errorCode(await asAdmin(CANCEL, { orderId: ownOrders[3], reason: 'no' }))).toBe('FORBIDDEN');
    expect(errorCode(await asAdmin(VALIDATE_TOKEN, { token: 'tok_visa' }))).toBe('FORBIDDEN');
    expect(await tableCounts(f)).toEqual(counts);
  });
});
