import { connectDb, type DbHandle, type PaymentStatusEvent } from '@shopgraph/kit';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payments, schema } from '../src/db/schema.ts';
import { captureOk, newCapture, type PaymentsFixture, refund, startPayments, tableCounts } from './fixture.ts';

/**
 * A payment status change is one statement: the update of the payment, its payment_events row and, when orders
 * acts on the new status, its outbox event are data-modifying CTEs of it, so they land together, and not at all
 * when the update matches nothing.
 */

let f: PaymentsFixture;
/** payments' database through drizzle, to call the service's transition with a transaction of our own. */
let db: DbHandle<typeof schema>;

beforeAll(async () => {
  f = await startPayments();
  db = connectDb(f.stack.subgraphs.payments!.databaseUrl, schema, { max: 1 });
});
afterAll(async () => {
  await db?.close();
  await f?.stop();
});

const writesOfStatusChanges = /update "payments"|insert into "payment_events"|insert into "outbox"/;

describe('a payment status change', () => {
  it('writes the payment, its history row and, for a status orders acts on, its outbox event in one statement', async () => {
    const input = newCapture(f);
    const queries = f.stack.subgraphs.payments!.queries;
    const before = queries.statements.length;
    expect((await captureOk(f, input)).outcome).toBe('CAPTURED');
    // PENDING → AUTHORIZED → CAPTURED: two statements (each was three: update, history insert, outbox insert).
    // Orders acts on neither (PAYMENT_STATUS_INTERESTS), so neither writes an outbox event.
    const writes = queries.statements.slice(before).filter((statement) => writesOfStatusChanges.test(statement));
    expect(writes).toHaveLength(2);
    for (const statement of writes) {
      expect(statement).toMatch(/^\s*with updated as \(update "payments"/);
      expect(statement).toContain('insert into "payment_events"');
      expect(statement).not.toContain('insert into "outbox"');
    }
    const beforeRefunds = queries.statements.length;
    expect((await refund(f, { orderId: input.orderId, amount: 1000, reason: 'damaged box' })).errors).toBeUndefined();
    expect((await refund(f, { orderId: input.orderId, reason: 'returned' })).errors).toBeUndefined();
    // CAPTURED → PARTIALLY_REFUNDED (not published), → REFUNDED (published): its outbox insert is in the same statement.
    const refundWrites = queries.statements.slice(beforeRefunds).filter((statement) => /^\s*with updated as \(update "payments"/.test(statement));
    expect(refundWrites).toHaveLength(2);
    expect(refundWrites.map((statement) => statement.includes('insert into "outbox"'))).toEqual([false, true]);

    const [payment] = await f.sql`select id, status, refunded_amount, updated_at from payments where order_id = ${input.orderId}`;
    expect(payment).toMatchObject({ status: 'REFUNDED', refunded_amount: 2500 });
    const history = await f.sql`
      select kind, amount, currency, status_after, provider_ref, reason, actor, at from payment_events where payment_id = ${payment!.id} order by id`;
    expect(history.map(({ at: _at, provider_ref: ref, ...row }) => ({ ...row, hasProviderRef: ref !== null }))).toEqual([
      { kind: 'AUTHORIZE', amount: 2500, currency: 'EUR', status_after: 'AUTHORIZED', reason: null, actor: 'service:orders', hasProviderRef: true },
      { kind: 'CAPTURE', amount: 2500, currency: 'EUR', status_after: 'CAPTURED', reason: null, actor: 'service:orders', hasProviderRef: true },
      { kind: 'REFUND', amount: 1000, currency: 'EUR', status_after: 'PARTIALLY_REFUNDED', reason: 'damaged box', actor: `user:${f.admin.id}`, hasProviderRef: true },
      { kind: 'REFUND', amount: 1500, currency: 'EUR', status_after: 'REFUNDED', reason: 'returned', actor: `user:${f.admin.id}`, hasProviderRef: true },
    ]);

    const events = await f.sql<Array<{ event_id: string; type: string; payload: PaymentStatusEvent }>>`
      select event_id, type, payload from outbox where payload->>'orderId' = ${input.orderId} order by seq`;
    expect(events.map((event) => event.payload)).toEqual([
      {
        orderId: input.orderId,
        paymentId: payment!.id,
        amount: 2500,
        currency: 'EUR',
        eventId: events[0]!.event_id,
        status: 'REFUNDED',
        previousStatus: 'PARTIALLY_REFUNDED',
        refundedAmount: 2500,
        reason: 'returned',
        at: payment!.updated_at.toISOString(),
      },
    ]);
    expect(events[0]!.type).toBe('payment.status-changed');
  });

  it('writes nothing, and fails, when the payment is no longer in the status the change was decided on', async () => {
    const input = newCapture(f);
    expect((await captureOk(f, input)).outcome).toBe('CAPTURED');
    const [captured] = await db.db.select().from(payments).where(eq(payments.orderId, input.orderId));
    const before = await tableCounts(f);

    // A caller holding a stale row (one the row lock should have kept it from having): AUTHORIZED, while it is CAPTURED.
    const stale = { ...captured!, status: 'AUTHORIZED' as const };
    const transition = f.built.payments['transition'].bind(f.built.payments);
    await expect(
      db.db.transaction((tx) =>
        transition(tx, stale, { status: 'VOIDED' }, { kind: 'VOID', amount: stale.amount, providerRef: null, reason: 'stale', actor: 'service:test' }),
      ),
    ).rejects.toThrow(/no longer AUTHORIZED/);

    expect(await tableCounts(f)).toEqual(before);
    const [after] = await db.db.select().from(payments).where(eq(payments.orderId, input.orderId));
    expect(after).toEqual(captured);
  });
});
