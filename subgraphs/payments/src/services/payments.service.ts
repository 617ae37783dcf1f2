import { randomUUID } from 'node:crypto';
import { anyOf, badInput, conflict, type Database, ErrorCode, formatMoney, isUuid, type Logger, notFound, outboxInsert, parseInput, PAYMENT_STATUS_INTERESTS, type PaymentStatusEvent, rowMapper, serviceUnavailable, sqlIsoTimestamp, sqlPayload, type Transaction, userError } from '@shopgraph/kit';
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import {
  outbox,
  type PaymentEventKind,
  paymentEventKindEnum,
  paymentEvents,
  type PaymentRow,
  type PaymentStatus,
  payments,
  providerEvents,
  type RefundRow,
  refunds,
  type schema,
} from '../db/schema.ts';
import { type PaymentProvider, type RefundResult, TransientProviderError } from '../providers/index.ts';
import type { InvoicesService } from './invoices.service.ts';
import { refundKey, requestKeyOf, statusAfterRefund, stepKey, wasCaptured } from './payment-rules.ts';
import { cancelInput, type CaptureRequest, captureInput, refundInput } from './validation.ts';

type Db = Database<typeof schema>;
type Tx = Transaction<typeof schema>;

/** The answer to capturePayment: a decline or an unavailable provider is an outcome, not an error. */
export interface PaymentResultView {
  outcome: 'CAPTURED' | 'DECLINED' | 'RETRY';
  payment: PaymentRow;
  reason: string | null;
}

/**
 * What a provider's webhook says happened to an authorization, in payments' terms (the provider adapter maps
 * its own events to these). `none`: nothing payments records (the event is still remembered as seen).
 */
export type ProviderEventChange =
  | { kind: 'captured'; amount: number }
  | { kind: 'voided' }
  | { kind: 'declined'; reason: string }
  /** `totalRefunded`: everything refunded on the authorization so far, as the provider counts it. */
  | { kind: 'refunded'; totalRefunded: number; refundId: string; reason: string }
  | { kind: 'disputed'; status: string; amount: number; reason: string }
  | { kind: 'none' };

/** What applying a provider event did: `duplicate` when its id was seen before, `ignored` for an unknown payment. */
export type ProviderEventOutcome = 'applied' | 'unchanged' | 'ignored' | 'duplicate';

/** The actor of changes a provider reported on its own (webhooks, recovered refunds). */
const PROVIDER_ACTOR = 'provider';

/** Who asked: `user:<id>` (admin) or `service:<name>` (internal). Recorded with every change. */
export type Actor = string;

/** Why a capture answers RETRY. */
const PROVIDER_UNAVAILABLE = 'provider_unavailable';

/** Outbox event type (and BullMQ job name) of a payment status change (payload: the kit's PaymentStatusEvent). */
export const PAYMENT_STATUS_CHANGED = 'payment.status-changed';

/** A payments row as SQL returns it (snake_case, driver values) → the row drizzle would give. */
const paymentFromRow = rowMapper(payments);

/**
 * The PaymentStatusEvent of the payment row `updated` (a CTE of the statement that changed it) as SQL. Built
 * by the database because `at` is the change's `updated_at`, which only it knows (`now()`); the keys are
 * checked against PaymentStatusEvent.
 */
function statusEventPayload(eventId: string, previousStatus: PaymentStatus, reason: string | null): SQL {
  return sqlPayload<PaymentStatusEvent>({
    eventId: sql`${eventId}::text`,
    orderId: sql`updated.order_id`,
    paymentId: sql`updated.id`,
    status: sql`updated.status`,
    previousStatus: sql`${previousStatus}::text`,
    amount: sql`updated.amount`,
    refundedAmount: sql`updated.refunded_amount`,
    currency: sql`updated.currency`,
    reason: sql`${reason}::text`,
    // updated_at has millisecond precision.
    at: sqlIsoTimestamp(sql`updated.updated_at`),
  });
}

/**
 * Payments: one per order, captured at most once, refunded at most up to what was captured.
 *
 * Every operation on an order's payment runs in one transaction holding the payment's row lock, including
 * its provider calls, so operations on one order run one at a time and each sees the state the previous one
 * left. Provider calls are idempotent by keys derived from the order (see payment-rules.ts): a crash after
 * the provider answered but before our commit leaves the payment as it was, and re-running the operation
 * repeats the same provider call, which answers with the stored result instead of acting again.
 *
 * Every status change orders acts on (PAYMENT_STATUS_INTERESTS) also writes a PaymentStatusEvent to the outbox in its
 * transaction; `onCommitted` then asks the relay to publish it (PAYMENT_STATUS_QUEUE, consumed by orders).
 */
export class PaymentsService {
  constructor(
    private readonly db: Db,
    private readonly provider: PaymentProvider,
    private readonly logger: Logger,
    private readonly invoices: InvoicesService,
    /** Called after a transaction on a payment has committed (nudges the outbox relay). */
    private readonly onCommitted: () => void = () => {},
  ) {}

  /** The transactions that wrote an event to the outbox: the relay is nudged once they commit. */
  private readonly published = new WeakSet<Tx>();

  /** Whether the provider knows the token (orders checks it before writing an order). */
  isKnownToken(token: string): Promise<boolean> {
    return this.knownToken(token.trim());
  }

  /** The provider's answer; an unreachable provider is SERVICE_UNAVAILABLE (retryable), never an internal error. */
  private async knownToken(token: string): Promise<boolean> {
    try {
      return await this.provider.isKnownToken(token);
    } catch (error) {
      if (error instanceof TransientProviderError) throw serviceUnavailable('The payment provider is unavailable; retry shortly');
      throw error;
    }
  }

  /**
   * Authorizes and captures an order's payment. Idempotent per order: a repeat returns the payment as it is
   * (CAPTURED, DECLINED) or continues where the last call stopped (after RETRY, or a crash). The same order
   * with another customer, amount, currency or token, or whose payment was cancelled, is a CONFLICT.
   */
  async capture(input: CaptureRequest, actor: Actor): Promise<PaymentResultView> {
    const request = parseInput(captureInput, input);
    if (!(await this.knownToken(request.paymentToken))) throw badInput('Unknown payment token', 'paymentToken');
    const requestKey = requestKeyOf(request);
    // Created once; concurrent calls for the order then queue on its row lock.
    await this.db
      .insert(payments)
      .values({
        orderId: request.orderId,
        customerId: request.customerId,
        amount: request.amount,
        currency: request.currency,
        requestKey,
        provider: this.provider.name,
        invoiceDetails: request.invoice ?? null,
      })
      .onConflictDoNothing({ target: payments.orderId });
    return this.locked(request.orderId, async (tx, payment) => {
      if (!payment) throw new Error(`The payment of order ${request.orderId} vanished`);
      if (payment.requestKey !== requestKey) {
        throw conflict(`Order ${request.orderId} already has a payment for another customer, amount, currency or payment token`);
      }
      return this.advance(tx, payment, request, actor);
    });
  }

  /**
   * Cancels an order's payment: voids it when nothing was captured, refunds what is left when something was.
   * Idempotent; DECLINED, VOIDED and REFUNDED payments are returned as they are. Null when there is none.
   */
  async cancel(input: { orderId: string; reason: string }, actor: Actor): Promise<PaymentRow | null> {
    const { orderId, reason } = parseInput(cancelInput, input);
    return this.locked(orderId, async (tx, payment) => {
      if (!payment) return null;
      switch (payment.status) {
        case 'PENDING':
          // Nothing was authorized, as far as we know. An authorization a crash kept us from recording is
          // never captured (this payment can no longer be) and lapses at the provider.
          return this.transition(tx, payment, { status: 'VOIDED' }, { kind: 'VOID', amount: payment.amount, providerRef: null, reason, actor });
        case 'AUTHORIZED': {
          const voided = await this.provider.void({ idempotencyKey: stepKey(payment.orderId, 'void'), authorizationId: payment.authorizationId! });
          return this.transition(tx, payment, { status: 'VOIDED' }, { kind: 'VOID', amount: payment.amount, providerRef: voided.voidId, reason, actor });
        }
        case 'CAPTURED':
        case 'PARTIALLY_REFUNDED':
          return (await this.refundLocked(tx, payment, { amount: 'rest', reason }, actor)).payment;
        default:
          return payment;
      }
    });
  }

  /**
   * Refunds `amount` (default: everything captured and not refunded yet) of an order's payment. More than
   * that is BAD_USER_INPUT. Concurrent refunds queue on the payment's row lock, so they cannot over-refund.
   */
  async refund(input: { orderId: string; amount?: number | null; reason: string }, actor: Actor): Promise<PaymentRow> {
    const request = parseInput(refundInput, input);
    const { payment, recovered } = await this.locked(request.orderId, async (tx, payment) => {
      if (!payment) throw notFound(`Payment of order ${request.orderId}`);
      const refundable = payment.capturedAmount - payment.refundedAmount;
      const amount = request.amount ?? refundable;
      if (refundable === 0 || amount > refundable) throw notRefundable(payment, amount, refundable);
      return this.refundLocked(tx, payment, { amount, reason: request.reason }, actor);
    });
    if (recovered) {
      // Committed: the recovered refund is recorded. The admin decides whether theirs is still needed.
      throw userError(
        ErrorCode.CONFLICT,
        `The payment of order ${request.orderId} had an unrecorded refund of ${formatMoney(recovered.amount, payment.currency)} at the provider ` +
          `(an earlier refund interrupted by a failure); it is recorded now. Check the payment and refund again if needed.`,
        { recoveredRefundId: recovered.id },
      );
    }
    return payment;
  }

  /**
   * Applies a provider webhook event once: its id is recorded in the same transaction as its effect, so a
   * replay or a redelivery is a `duplicate` and changes nothing. Events arrive for changes payments made
   * itself (a capture it asked for): those find the payment already there and are `unchanged`. The payment's
   * row lock orders an event after a capture or refund in flight for the same order.
   */
  async applyProviderEvent(event: {
    id: string;
    type: string;
    authorizationId: string | null;
    change: ProviderEventChange;
  }): Promise<{ outcome: ProviderEventOutcome; orderId: string | null }> {
    let published = false;
    const result = await this.db.transaction(async (tx) => {
      const [seen] = await tx
        .insert(providerEvents)
        .values({ id: event.id, provider: this.provider.name, type: event.type, outcome: 'pending' })
        .onConflictDoNothing()
        .returning();
      if (!seen) return { outcome: 'duplicate' as const, orderId: null };
      const [payment] = event.authorizationId
        ? await tx.select().from(payments).where(eq(payments.authorizationId, event.authorizationId)).for('update')
        : [];
      const outcome: ProviderEventOutcome = payment ? await this.applyChange(tx, payment, event.change) : 'ignored';
      await tx
        .update(providerEvents)
        .set({ outcome, orderId: payment?.orderId ?? null })
        .where(eq(providerEvents.id, event.id));
      published = this.published.has(tx);
      return { outcome, orderId: payment?.orderId ?? null };
    });
    if (published) this.onCommitted();
    return result;
  }

  private async applyChange(tx: Tx, payment: PaymentRow, change: ProviderEventChange): Promise<'applied' | 'unchanged'> {
    const record = (kind: PaymentEventKind, amount: number, reason: string | null) => ({ kind, amount, providerRef: payment.authorizationId, reason, actor: PROVIDER_ACTOR });
    switch (change.kind) {
      case 'captured':
        // Captured outside checkout (the provider's dashboard, or our capture whose answer was lost).
        if (payment.status !== 'AUTHORIZED') return 'unchanged';
        await this.invoices.issueInvoice(tx, await this.transition(tx, payment, { status: 'CAPTURED', capturedAmount: change.amount }, record('CAPTURE', change.amount, null)));
        return 'applied';
      case 'voided':
        if (payment.status !== 'AUTHORIZED' && payment.status !== 'PENDING') return 'unchanged';
        await this.transition(tx, payment, { status: 'VOIDED' }, record('VOID', payment.amount, 'cancelled at the provider'));
        return 'applied';
      case 'declined':
        if (payment.status !== 'PENDING') return 'unchanged';
        await this.transition(tx, payment, { status: 'DECLINED', declineReason: change.reason }, record('DECLINE', payment.amount, change.reason));
        return 'applied';
      case 'refunded': {
        // Refunds payments made itself are recorded already; only what was refunded elsewhere is new.
        const missing = Math.min(change.totalRefunded, payment.capturedAmount) - payment.refundedAmount;
        if (!wasCaptured(payment.status) || missing <= 0) return 'unchanged';
        const sequence = payment.refundCount + 1;
        await this.recordRefund(tx, payment, sequence, { refundId: change.refundId, amount: missing, reason: change.reason, replayed: false }, PROVIDER_ACTOR);
        return 'applied';
      }
      case 'disputed': {
        if (payment.disputeStatus === change.status) return 'unchanged';
        // A chargeback changes no payment status (the money moves when it is lost): recorded, not published.
        await tx.update(payments).set({ disputeStatus: change.status, updatedAt: sql`now()` }).where(eq(payments.id, payment.id));
        await tx.insert(paymentEvents).values({
          paymentId: payment.id,
          currency: payment.currency,
          statusAfter: payment.status,
          ...record('DISPUTE', change.amount, `${change.status}: ${change.reason}`),
        });
        return 'applied';
      }
      case 'none':
        return 'unchanged';
    }
  }

  /** Payments of many orders in one query, in the order of `orderIds` (null where there is none). */
  async byOrderIds(orderIds: readonly string[]): Promise<Array<PaymentRow | null>> {
    const ids = [...new Set(orderIds.filter(isUuid).map((id) => id.toLowerCase()))];
    const rows = ids.length ? await this.db.select().from(payments).where(anyOf(payments.orderId, ids)) : [];
    const byOrder = new Map(rows.map((row) => [row.orderId, row]));
    return orderIds.map((id) => byOrder.get(id.toLowerCase()) ?? null);
  }

  /** Refunds of many payments in one query, oldest first. */
  async refundsOf(paymentIds: readonly string[]): Promise<RefundRow[][]> {
    const rows = await this.db
      .select()
      .from(refunds)
      .where(anyOf(refunds.paymentId, [...new Set(paymentIds)]))
      .orderBy(asc(refunds.sequence));
    const byPayment = new Map<string, RefundRow[]>();
    for (const row of rows) byPayment.set(row.paymentId, [...(byPayment.get(row.paymentId) ?? []), row]);
    return paymentIds.map((id) => byPayment.get(id) ?? []);
  }

  /** Runs `work` in a transaction holding the row lock of the order's payment (null when there is none). */
  private async locked<T>(orderId: string, work: (tx: Tx, payment: PaymentRow | null) => Promise<T>): Promise<T> {
    let published = false;
    const result = await this.db.transaction(async (tx) => {
      const [payment] = await tx.select().from(payments).where(eq(payments.orderId, orderId)).for('update');
      const done = await work(tx, payment ?? null);
      published = this.published.has(tx);
      return done;
    });
    if (published) this.onCommitted();
    return result;
  }

  /** Takes a locked payment as far as it goes: PENDING → AUTHORIZED (or DECLINED) → CAPTURED. */
  private async advance(tx: Tx, payment: PaymentRow, request: CaptureRequest, actor: Actor): Promise<PaymentResultView> {
    let current = payment;
    if (current.status === 'PENDING') {
      const authorization = await this.transient(() =>
        this.provider.authorize({
          idempotencyKey: stepKey(current.orderId, 'authorize'),
          token: request.paymentToken,
          amount: current.amount,
          currency: current.currency,
          reference: current.orderId,
        }),
      );
      if (!authorization) return this.retry(current, 'authorize');
      const card = { authorizationId: authorization.authorizationId, cardBrand: authorization.card?.brand ?? null, cardLast4: authorization.card?.last4 ?? null };
      if (!authorization.approved) {
        const declined = await this.transition(
          tx,
          current,
          { status: 'DECLINED', declineReason: authorization.declineCode, ...card },
          { kind: 'DECLINE', amount: current.amount, providerRef: authorization.authorizationId, reason: authorization.declineCode, actor },
        );
        return { outcome: 'DECLINED', payment: declined, reason: authorization.declineCode };
      }
      current = await this.transition(
        tx,
        current,
        { status: 'AUTHORIZED', ...card },
        { kind: 'AUTHORIZE', amount: current.amount, providerRef: authorization.authorizationId, reason: null, actor },
      );
    }
    if (current.status === 'AUTHORIZED') {
      const capture = await this.transient(() =>
        this.provider.capture({ idempotencyKey: stepKey(current.orderId, 'capture'), authorizationId: current.authorizationId!, amount: current.amount }),
      );
      // The transaction still commits: the payment stays AUTHORIZED and the next call captures it.
      if (!capture) return this.retry(current, 'capture');
      current = await this.transition(
        tx,
        current,
        { status: 'CAPTURED', capturedAmount: capture.amount },
        { kind: 'CAPTURE', amount: capture.amount, providerRef: capture.captureId, reason: null, actor },
      );
      // Paid: the invoice is issued in the same transaction, so no captured payment lacks one.
      await this.invoices.issueInvoice(tx, current);
    }
    if (wasCaptured(current.status)) return { outcome: 'CAPTURED', payment: current, reason: null };
    if (current.status === 'DECLINED') return { outcome: 'DECLINED', payment: current, reason: current.declineReason };
    throw conflict(`The payment of order ${current.orderId} was cancelled (${current.status}); it cannot be captured`);
  }

  /**
   * Refunds under the payment's lock. `amount: 'rest'` refunds everything left. The provider key is the
   * payment's next refund number: if the provider answers with a stored refund that is not this request
   * (an earlier refund whose recording a crash prevented), that refund is recorded as it is, and then
   * `rest` carries on while an exact amount stops and reports it.
   */
  private async refundLocked(
    tx: Tx,
    payment: PaymentRow,
    request: { amount: number | 'rest'; reason: string },
    actor: Actor,
  ): Promise<{ payment: PaymentRow; recovered: RefundRow | null }> {
    let current = payment;
    let recovered: RefundRow | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      const amount = request.amount === 'rest' ? current.capturedAmount - current.refundedAmount : request.amount;
      if (amount <= 0) break;
      const sequence = current.refundCount + 1;
      const result = await this.provider.refund({
        idempotencyKey: refundKey(current.orderId, sequence),
        authorizationId: current.authorizationId!,
        amount,
        reason: request.reason,
      });
      const ours = !result.replayed || (result.amount === amount && result.reason === request.reason);
      const recorded = await this.recordRefund(tx, current, sequence, result, ours ? actor : 'provider');
      current = recorded.payment;
      if (ours) return { payment: current, recovered };
      this.logger.warn({ orderId: current.orderId, refundId: recorded.refund.id }, 'recorded a refund the provider had made without our record');
      recovered = recorded.refund;
      if (request.amount !== 'rest') return { payment: current, recovered };
    }
    return { payment: current, recovered };
  }

  private async recordRefund(tx: Tx, payment: PaymentRow, sequence: number, result: RefundResult, actor: Actor) {
    const [refund] = await tx
      .insert(refunds)
      .values({
        paymentId: payment.id,
        sequence,
        amount: result.amount,
        currency: payment.currency,
        reason: result.reason,
        providerRefundId: result.refundId,
        requestedBy: actor,
      })
      .returning();
    const refunded = payment.refundedAmount + result.amount;
    const updated = await this.transition(
      tx,
      payment,
      { status: statusAfterRefund(payment.capturedAmount, refunded), refundedAmount: refunded, refundCount: sequence },
      { kind: 'REFUND', amount: result.amount, providerRef: result.refundId, reason: result.reason, actor },
    );
    await this.invoices.issueCreditNote(tx, updated, refund!);
    return { payment: updated, refund: refund! };
  }

  /**
   * Changes a locked payment and records the event and, for a status orders acts on, its outbox row, in the
   * caller's transaction, with one statement: the history and outbox inserts are data-modifying CTEs that read the
   * updated row, so all are written, or none when the update matched nothing.
   */
  private async transition(
    tx: Tx,
    payment: PaymentRow,
    change: Partial<Omit<PaymentRow, 'id' | 'orderId' | 'createdAt' | 'updatedAt'>> & Pick<PaymentRow, 'status'>,
    event: { kind: PaymentEventKind; amount: number; providerRef: string | null; reason: string | null; actor: Actor },
  ): Promise<PaymentRow> {
    const update = tx
      .update(payments)
      .set({ ...change, updatedAt: sql`now()` })
      // The caller holds the row lock, so the status is the one it decided on; the check makes the event's
      // previousStatus true by construction rather than by that convention.
      .where(and(eq(payments.id, payment.id), eq(payments.status, payment.status)))
      .returning();
    // Only a change someone acts on is published (PAYMENT_STATUS_INTERESTS): the others would be written, relayed
    // and queued for orders to ignore.
    const eventId = PAYMENT_STATUS_INTERESTS.includes(change.status) ? randomUUID() : undefined;
    const published = eventId
      ? sql`, published as (${outboxInsert(outbox, { eventId, type: PAYMENT_STATUS_CHANGED, payload: statusEventPayload(eventId, payment.status, event.reason), from: sql`updated` })})`
      : sql``;
    // getSQL(): the builder itself would be embedded in parentheses of its own, which `as ((...))` rejects.
    const [row] = await tx.execute<Record<string, unknown>>(sql`
      with updated as (${update.getSQL()}), recorded as (
        insert into ${paymentEvents} (payment_id, kind, amount, currency, status_after, provider_ref, reason, actor)
        select id, ${event.kind}::${sql.identifier(paymentEventKindEnum.enumName)}, ${event.amount}::integer, currency, status,
          ${event.providerRef}::text, ${event.reason}::text, ${event.actor}::text
        from updated
      )${published}
      select * from updated`);
    // Unreachable under the row lock; were it reached, nothing was written and the caller's transaction rolls back.
    if (!row) throw new Error(`The payment ${payment.id} is no longer ${payment.status}: it changed without its row lock`);
    if (eventId) this.published.add(tx);
    return paymentFromRow(row);
  }

  /** The provider's answer, or undefined when it was unavailable. */
  private async transient<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof TransientProviderError) {
        this.logger.warn({ err: error }, 'payment provider unavailable');
        return undefined;
      }
      throw error;
    }
  }

  private retry(payment: PaymentRow, step: 'authorize' | 'capture'): PaymentResultView {
    this.logger.info({ orderId: payment.orderId, step }, 'payment provider unavailable; checkout will retry');
    return { outcome: 'RETRY', payment, reason: PROVIDER_UNAVAILABLE };
  }
}

function notRefundable(payment: PaymentRow, amount: number, refundable: number) {
  const extensions = { field: 'amount', refundable };
  if (!wasCaptured(payment.status)) {
    return userError(ErrorCode.BAD_USER_INPUT, `The payment of order ${payment.orderId} is ${payment.status}: nothing was captured, so nothing can be refunded`, extensions);
  }
  if (refundable === 0) return userError(ErrorCode.BAD_USER_INPUT, `The payment of order ${payment.orderId} is already refunded in full`, extensions);
  return userError(
    ErrorCode.BAD_USER_INPUT,
    `Cannot refund ${formatMoney(amount, payment.currency)}: at most ${formatMoney(refundable, payment.currency)} of this payment can still be refunded`,
    extensions,
  );
}
