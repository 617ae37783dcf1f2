import { createHash } from 'node:crypto';
import type { PaymentStatus } from '../db/schema.ts';

/** Provider operations, each done at most once per order: the idempotency key names the order and the step. */
export type ProviderStep = 'authorize' | 'capture' | 'void';

/** The provider idempotency key of a step of an order's payment. */
export function stepKey(orderId: string, step: ProviderStep): string {
  return `${orderId}:${step}`;
}

/** The provider idempotency key of the `sequence`-th refund (1, 2, ...) of an order's payment. */
export function refundKey(orderId: string, sequence: number): string {
  return `${orderId}:refund:${sequence}`;
}

/** Identifies what checkout asked for an order, so a retry is told apart from a different request. */
export function requestKeyOf(request: { customerId: string; amount: number; currency: string; paymentToken: string }): string {
  const { customerId, amount, currency, paymentToken } = request;
  return createHash('sha256').update(JSON.stringify([customerId.toLowerCase(), amount, currency, paymentToken])).digest('hex');
}

/** What a payment's status is once `refunded` of `captured` has been given back. */
export function statusAfterRefund(captured: number, refunded: number): PaymentStatus {
  return refunded >= captured ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}

/** Statuses in which money was captured (and maybe partly or wholly given back since). */
export function wasCaptured(status: PaymentStatus): boolean {
  return status === 'CAPTURED' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED';
}
