import Stripe from 'stripe';
import {
  type AuthorizationResult,
  type AuthorizeRequest,
  type CaptureResult,
  type CardDetails,
  type PaymentProvider,
  ProviderError,
  type RefundResult,
  TransientProviderError,
  type VoidResult,
} from './payment-provider.ts';

/**
 * Why an authorization that needs the customer (3-D Secure, `requires_action`) is not approved: the same code
 * Stripe declines with when a payment needs authentication, so clients handle one stable value
 * (`Payment.declineReason`, the order's failure reason).
 */
export const AUTHENTICATION_REQUIRED = 'authentication_required';

export interface StripeProviderOptions {
  secretKey: string;
  /** Where the SDK sends requests (unset: api.stripe.com). */
  apiUrl?: string;
  timeoutMs: number;
  /** Retries the SDK makes itself on network errors, with the same idempotency key. */
  maxNetworkRetries: number;
}

/** The SDK's host/port/protocol options for an API URL such as `http://127.0.0.1:12111`. */
export function stripeConnectionOptions(apiUrl: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiUrl) return {};
  const url = new URL(apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

/**
 * Stripe behind the adapter: an authorization is a PaymentIntent confirmed with `capture_method: manual`,
 * captured, cancelled (void) or refunded later. Every call carries payments' idempotency key as Stripe's
 * `Idempotency-Key`, so a call repeated after a timeout or a crash returns Stripe's stored answer instead of
 * charging again. Card data never passes through here: the token is a PaymentMethod id (`pm_…`) the
 * customer's client created with Stripe.js.
 */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe';
  private readonly stripe: Stripe;

  constructor(options: StripeProviderOptions) {
    this.stripe = new Stripe(options.secretKey, {
      ...stripeConnectionOptions(options.apiUrl),
      timeout: options.timeoutMs,
      maxNetworkRetries: options.maxNetworkRetries,
      telemetry: false,
      appInfo: { name: 'shopgraph-payments' },
    });
  }

  async isKnownToken(token: string): Promise<boolean> {
    if (!/^pm_[A-Za-z0-9_]+$/.test(token)) return false;
    try {
      await this.stripe.paymentMethods.retrieve(token);
      return true;
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return false;
      throw translate(error);
    }
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizationResult> {
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency.toLowerCase(),
          payment_method: request.token,
          // No redirect-based methods: confirmation happens server-side, without a return URL.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          capture_method: 'manual',
          confirm: true,
          metadata: { orderId: request.reference },
          expand: ['payment_method'],
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        const intentId = error.payment_intent?.id;
        return {
          approved: false,
          authorizationId: intentId ?? `declined:${request.idempotencyKey}`,
          card: cardOf(error.payment_method ?? null),
          declineCode: error.decline_code ?? error.code ?? 'card_declined',
        };
      }
      throw translate(error);
    }
    const card = cardOf(intent.payment_method);
    switch (intent.status) {
      case 'requires_capture':
      case 'succeeded':
        return { approved: true, authorizationId: intent.id, card: card ?? { brand: 'unknown', last4: '????' } };
      case 'requires_action':
        // The card needs the customer (3-D Secure). Nothing is held until they complete it, which this
        // server-side checkout cannot wait for: the payment is refused with a stable code the client shows.
        return { approved: false, authorizationId: intent.id, card, declineCode: AUTHENTICATION_REQUIRED };
      default:
        return { approved: false, authorizationId: intent.id, card, declineCode: intent.last_payment_error?.decline_code ?? intent.status };
    }
  }

  async capture(request: { idempotencyKey: string; authorizationId: string; amount: number }): Promise<CaptureResult> {
    const intent = await this.call(() =>
      this.stripe.paymentIntents.capture(request.authorizationId, { amount_to_capture: request.amount }, { idempotencyKey: request.idempotencyKey }),
    );
    const charge = typeof intent.latest_charge === 'string' ? intent.latest_charge : intent.latest_charge?.id;
    return { captureId: charge ?? intent.id, amount: intent.amount_received };
  }

  async void(request: { idempotencyKey: string; authorizationId: string }): Promise<VoidResult> {
    const intent = await this.call(() =>
      this.stripe.paymentIntents.cancel(request.authorizationId, { cancellation_reason: 'abandoned' }, { idempotencyKey: request.idempotencyKey }),
    );
    return { voidId: intent.id };
  }

  async refund(request: { idempotencyKey: string; authorizationId: string; amount: number; reason: string }): Promise<RefundResult> {
    try {
      const refund = await this.stripe.refunds.create(
        {
          payment_intent: request.authorizationId,
          amount: request.amount,
          // The key in metadata finds the refund again when the key comes back with other parameters (below).
          metadata: { reason: request.reason.slice(0, 500), idempotencyKey: request.idempotencyKey },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      // Stripe marks an answer replayed from an idempotency key's stored result.
      return refundResult(refund, refund.lastResponse.headers['idempotent-replayed'] === 'true');
    } catch (error) {
      // The key was used before with other parameters: a refund made before a crash kept payments from
      // recording it. That refund is the answer, as the adapter's contract asks.
      if (error instanceof Stripe.errors.StripeIdempotencyError) {
        const earlier = await this.refundWithKey(request.authorizationId, request.idempotencyKey);
        if (earlier) return refundResult(earlier, true);
      }
      throw translate(error);
    }
  }

  private async refundWithKey(paymentIntent: string, idempotencyKey: string): Promise<Stripe.Refund | undefined> {
    const refunds = await this.call(() => this.stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 }));
    return refunds.data.find((refund) => refund.metadata?.idempotencyKey === idempotencyKey);
  }

  /** Verifies a webhook's `Stripe-Signature` with the SDK and returns the event it carries. */
  constructEvent(body: string, signature: string, secret: string, toleranceSeconds: number): Stripe.Event {
    return this.stripe.webhooks.constructEvent(body, signature, secret, toleranceSeconds);
  }

  async close(): Promise<void> {}

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw translate(error);
    }
  }
}

function refundResult(refund: Stripe.Refund, replayed: boolean): RefundResult {
  return { refundId: refund.id, amount: refund.amount, reason: refund.metadata?.reason ?? '', replayed };
}

function cardOf(method: string | Stripe.PaymentMethod | null | undefined): CardDetails | null {
  if (!method || typeof method === 'string' || !method.card) return null;
  return { brand: method.card.brand, last4: method.card.last4 };
}

/**
 * Stripe's errors in the adapter's terms. Transient: the network, a timeout, Stripe's own failures (5xx), rate
 * limits and lock timeouts — repeating the call with the same key is safe. Everything else Stripe refused.
 * Messages never carry the key: the SDK's do not, and ours are built from Stripe's public messages only.
 */
function translate(error: unknown): Error {
  if (!(error instanceof Stripe.errors.StripeError)) return error instanceof Error ? error : new Error(String(error));
  if (
    error instanceof Stripe.errors.StripeConnectionError ||
    error instanceof Stripe.errors.StripeAPIError ||
    error instanceof Stripe.errors.StripeRateLimitError ||
    error.code === 'lock_timeout' ||
    (error.statusCode ?? 0) >= 500
  ) {
    return new TransientProviderError(`Stripe is unavailable: ${error.message}`);
  }
  return new ProviderError(`Stripe refused the request: ${error.message}${error.code ? ` (${error.code})` : ''}`);
}
