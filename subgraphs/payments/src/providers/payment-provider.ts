/**
 * The payment provider adapter: what payments needs from a card processor (Stripe, Adyen, ... or the
 * sandbox). Every operation takes an idempotency key; repeating an operation with the same key must not
 * repeat its effect and must return the original result (Stripe's `Idempotency-Key` header does exactly
 * this). payments derives every key from the order (`<orderId>:authorize`, `<orderId>:capture`,
 * `<orderId>:void`, `<orderId>:refund:<n>`), so re-running any step after a crash is safe.
 *
 * Errors: {@link TransientProviderError} when the provider could not be reached or asked us to retry
 * (nothing happened, the same call may be repeated); {@link ProviderError} when it refused the request.
 * A declined card is not an error: `authorize` reports it.
 */
export interface PaymentProvider {
  /** Stored with each payment, e.g. `sandbox`. */
  readonly name: string;
  /** Whether `token` names a payment method the provider can charge (checked before an order is written). */
  isKnownToken(token: string): Promise<boolean>;
  /** Holds `amount` on the card behind `token`, or reports the decline. */
  authorize(request: AuthorizeRequest): Promise<AuthorizationResult>;
  /** Takes the authorized amount. At most once per authorization. */
  capture(request: { idempotencyKey: string; authorizationId: string; amount: number }): Promise<CaptureResult>;
  /** Releases an authorization that was not captured. */
  void(request: { idempotencyKey: string; authorizationId: string }): Promise<VoidResult>;
  /** Gives back part or all of what was captured. */
  refund(request: { idempotencyKey: string; authorizationId: string; amount: number; reason: string }): Promise<RefundResult>;
  /** Releases the adapter's connections. */
  close(): Promise<void>;
}

export interface AuthorizeRequest {
  idempotencyKey: string;
  token: string;
  /** Minor units of `currency`. */
  amount: number;
  currency: string;
  /** The merchant's reference shown in the provider's dashboard: the order id. */
  reference: string;
}

export interface CardDetails {
  brand: string;
  last4: string;
}

export type AuthorizationResult =
  | { approved: true; authorizationId: string; card: CardDetails }
  | { approved: false; authorizationId: string; card: CardDetails | null; declineCode: string };

export interface CaptureResult {
  captureId: string;
  amount: number;
}

export interface VoidResult {
  voidId: string;
}

export interface RefundResult {
  refundId: string;
  amount: number;
  reason: string;
  /**
   * True when the key had been used before and this is the stored result. Its amount and reason may then
   * differ from the request: an earlier refund the caller never recorded (it crashed after the provider
   * answered). The caller records it as it is.
   */
  replayed: boolean;
}

/** The provider refused the request (unknown authorization, nothing left to refund, ...). Not worth retrying. */
export class ProviderError extends Error {
  override readonly name: string = 'ProviderError';
}

/** `token` is not a payment method the provider knows. */
export class UnknownPaymentTokenError extends ProviderError {
  override readonly name = 'UnknownPaymentTokenError';
}

/** The provider could not be reached or failed on its side; nothing happened and the call may be repeated. */
export class TransientProviderError extends Error {
  override readonly name = 'TransientProviderError';
}
