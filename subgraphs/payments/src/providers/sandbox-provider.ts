import { randomBytes } from 'node:crypto';
import type { Database } from '@shopgraph/kit';
import { and, eq, sql } from 'drizzle-orm';
import { providerCharges, type ProviderChargeRow, providerFaults, type sandboxSchema } from '../db/sandbox-schema.ts';
import {
  type AuthorizationResult,
  type AuthorizeRequest,
  type CaptureResult,
  type PaymentProvider,
  ProviderError,
  type RefundResult,
  TransientProviderError,
  UnknownPaymentTokenError,
  type VoidResult,
} from './payment-provider.ts';

type SandboxDb = Database<typeof sandboxSchema>;

interface TestCard {
  brand: string;
  last4: string;
  /** Authorization is declined with this code. */
  declineCode?: string;
  /** The first authorization attempt per idempotency key (so per order) fails transiently. */
  flakyAuthorize?: boolean;
  /** The first capture attempt per idempotency key fails transiently (the payment stays AUTHORIZED). */
  flakyCapture?: boolean;
}

/** The sandbox's test tokens (README.md lists them); card numbers follow Stripe's test cards. */
export const TEST_CARDS: Readonly<Record<string, TestCard>> = Object.freeze({
  tok_visa: { brand: 'visa', last4: '4242' },
  tok_mastercard: { brand: 'mastercard', last4: '4444' },
  tok_chargeDeclined: { brand: 'visa', last4: '0002', declineCode: 'card_declined' },
  tok_insufficientFunds: { brand: 'visa', last4: '9995', declineCode: 'insufficient_funds' },
  tok_flaky: { brand: 'visa', last4: '4242', flakyAuthorize: true },
  tok_flakyCapture: { brand: 'visa', last4: '4242', flakyCapture: true },
});

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/**
 * A payment provider that runs in-process but behaves like a remote one: its state lives in its own ledger
 * tables (see db/sandbox-schema.ts), written over its own connection pool and committed independently of
 * payments' transactions, so it survives restarts and is shared by replicas; every operation is idempotent
 * by key and serialised per charge with a row lock, as a real provider's would be.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';

  constructor(
    private readonly db: SandboxDb,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

  async isKnownToken(token: string): Promise<boolean> {
    return Object.hasOwn(TEST_CARDS, token);
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizationResult> {
    const card = TEST_CARDS[request.token];
    if (!card || !Object.hasOwn(TEST_CARDS, request.token)) throw new UnknownPaymentTokenError(`Unknown payment token "${request.token}"`);
    const replay = await this.operation(request.idempotencyKey);
    if (replay) return authorizationOf(replay);
    if (card.flakyAuthorize) await this.failOnce(request.idempotencyKey);
    const [created] = await this.db
      .insert(providerCharges)
      .values({
        id: newId('ch'),
        idempotencyKey: request.idempotencyKey,
        kind: 'AUTHORIZATION',
        reference: request.reference,
        token: request.token,
        amount: request.amount,
        currency: request.currency,
        state: card.declineCode ? 'DECLINED' : 'AUTHORIZED',
        cardBrand: card.brand,
        cardLast4: card.last4,
        declineCode: card.declineCode ?? null,
      })
      .onConflictDoNothing({ target: providerCharges.idempotencyKey })
      .returning();
    // Lost a race with the same key: the winner's result is the result.
    return authorizationOf(created ?? (await this.operation(request.idempotencyKey))!);
  }

  async capture(request: { idempotencyKey: string; authorizationId: string; amount: number }): Promise<CaptureResult> {
    const replay = await this.operation(request.idempotencyKey);
    if (replay) return { captureId: replay.id, amount: replay.amount };
    const charge = await this.authorization(request.authorizationId);
    if (charge.token && TEST_CARDS[charge.token]?.flakyCapture) await this.failOnce(request.idempotencyKey);
    const row = await this.onCharge(request.authorizationId, request.idempotencyKey, async (tx, locked) => {
      if (locked.state !== 'AUTHORIZED') throw new ProviderError(`Charge ${locked.id} is ${locked.state!.toLowerCase()} and cannot be captured`);
      if (request.amount < 1 || request.amount > locked.amount) throw new ProviderError(`Charge ${locked.id}: cannot capture ${request.amount} of ${locked.amount}`);
      await tx
        .update(providerCharges)
        .set({ state: 'CAPTURED', capturedAmount: request.amount, updatedAt: sql`now()` })
        .where(eq(providerCharges.id, locked.id));
      return { id: newId('cap'), kind: 'CAPTURE', amount: request.amount };
    });
    return { captureId: row.id, amount: row.amount };
  }

  async void(request: { idempotencyKey: string; authorizationId: string }): Promise<VoidResult> {
    const replay = await this.operation(request.idempotencyKey);
    if (replay) return { voidId: replay.id };
    const row = await this.onCharge(request.authorizationId, request.idempotencyKey, async (tx, locked) => {
      if (locked.state !== 'AUTHORIZED') throw new ProviderError(`Charge ${locked.id} is ${locked.state!.toLowerCase()} and cannot be voided`);
      await tx.update(providerCharges).set({ state: 'VOIDED', updatedAt: sql`now()` }).where(eq(providerCharges.id, locked.id));
      return { id: newId('void'), kind: 'VOID', amount: locked.amount };
    });
    return { voidId: row.id };
  }

  async refund(request: { idempotencyKey: string; authorizationId: string; amount: number; reason: string }): Promise<RefundResult> {
    const replay = await this.operation(request.idempotencyKey);
    if (replay) return refundOf(replay, true);
    let replayed = false;
    const row = await this.onCharge(
      request.authorizationId,
      request.idempotencyKey,
      async (tx, locked) => {
        if (locked.state !== 'CAPTURED') throw new ProviderError(`Charge ${locked.id} is ${locked.state!.toLowerCase()} and cannot be refunded`);
        const refundable = locked.capturedAmount - locked.refundedAmount;
        if (request.amount < 1 || request.amount > refundable) throw new ProviderError(`Charge ${locked.id}: cannot refund ${request.amount}, ${refundable} left`);
        await tx
          .update(providerCharges)
          .set({ refundedAmount: sql`${providerCharges.refundedAmount} + ${request.amount}`, updatedAt: sql`now()` })
          .where(eq(providerCharges.id, locked.id));
        return { id: newId('re'), kind: 'REFUND', amount: request.amount, reason: request.reason };
      },
      () => (replayed = true),
    );
    return refundOf(row, replayed);
  }

  close(): Promise<void> {
    return this.onClose();
  }

  /** The stored operation of an idempotency key, if any. */
  private async operation(idempotencyKey: string, db: Pick<SandboxDb, 'select'> = this.db): Promise<ProviderChargeRow | null> {
    const [row] = await db.select().from(providerCharges).where(eq(providerCharges.idempotencyKey, idempotencyKey));
    return row ?? null;
  }

  private async authorization(id: string): Promise<ProviderChargeRow> {
    const [charge] = await this.db
      .select()
      .from(providerCharges)
      .where(and(eq(providerCharges.id, id), eq(providerCharges.kind, 'AUTHORIZATION')));
    if (!charge) throw new ProviderError(`No such charge: ${id}`);
    return charge;
  }

  /**
   * Runs one operation on a charge under its row lock and stores it under `idempotencyKey`. Concurrent
   * requests with the same key wait for the lock and then get the stored operation (`onReplay` is told).
   */
  private async onCharge(
    chargeId: string,
    idempotencyKey: string,
    apply: (
      tx: Parameters<Parameters<SandboxDb['transaction']>[0]>[0],
      locked: ProviderChargeRow,
    ) => Promise<{ id: string; kind: 'CAPTURE' | 'VOID' | 'REFUND'; amount: number; reason?: string }>,
    onReplay: () => void = () => {},
  ): Promise<ProviderChargeRow> {
    return this.db.transaction(async (tx) => {
      const [locked] = await tx
        .select()
        .from(providerCharges)
        .where(and(eq(providerCharges.id, chargeId), eq(providerCharges.kind, 'AUTHORIZATION')))
        .for('update');
      if (!locked) throw new ProviderError(`No such charge: ${chargeId}`);
      const replay = await this.operation(idempotencyKey, tx);
      if (replay) {
        onReplay();
        return replay;
      }
      const operation = await apply(tx, locked);
      const [row] = await tx
        .insert(providerCharges)
        .values({
          ...operation,
          idempotencyKey,
          chargeId,
          reference: locked.reference,
          currency: locked.currency,
        })
        .returning();
      return row!;
    });
  }

  /** Fails the first call with this key, once ever (the fault is recorded before the error is thrown). */
  private async failOnce(idempotencyKey: string): Promise<void> {
    const [fault] = await this.db.insert(providerFaults).values({ idempotencyKey }).onConflictDoNothing().returning();
    if (fault) throw new TransientProviderError('The payment provider is temporarily unavailable');
  }
}

function authorizationOf(row: ProviderChargeRow): AuthorizationResult {
  const card = row.cardBrand && row.cardLast4 ? { brand: row.cardBrand, last4: row.cardLast4 } : null;
  if (row.state === 'DECLINED') return { approved: false, authorizationId: row.id, card, declineCode: row.declineCode ?? 'card_declined' };
  return { approved: true, authorizationId: row.id, card: card! };
}

function refundOf(row: ProviderChargeRow, replayed: boolean): RefundResult {
  return { refundId: row.id, amount: row.amount, reason: row.reason ?? '', replayed };
}
