import { type HttpRoute, type Logger, readWebhookBody, sendJson } from '@shopgraph/kit';
import type Stripe from 'stripe';
import type { StripeProvider } from '../providers/stripe-provider.ts';
import type { PaymentsService, ProviderEventChange } from '../services/payments.service.ts';

/** Where Stripe POSTs events (configure this URL, on the router's public origin, in Stripe's dashboard). */
export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';
/** Stripe's events are a few kilobytes; anything much larger is not one. */
export const STRIPE_WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

const idOf = (value: string | { id: string } | null | undefined): string | null => (value == null ? null : typeof value === 'string' ? value : value.id);

/**
 * What a Stripe event means for payments: the PaymentIntent it concerns (payments' authorization id) and
 * the change. Events payments does not act on map to `none` (still recorded, so a replay is recognised).
 */
export function changeOfStripeEvent(event: Stripe.Event): { authorizationId: string | null; change: ProviderEventChange } {
  switch (event.type) {
    case 'payment_intent.succeeded':
      return { authorizationId: event.data.object.id, change: { kind: 'captured', amount: event.data.object.amount_received } };
    case 'payment_intent.canceled':
      return { authorizationId: event.data.object.id, change: { kind: 'voided' } };
    case 'payment_intent.payment_failed': {
      const failure = event.data.object.last_payment_error;
      return { authorizationId: event.data.object.id, change: { kind: 'declined', reason: failure?.decline_code ?? failure?.code ?? 'card_declined' } };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      return {
        authorizationId: idOf(charge.payment_intent),
        change: { kind: 'refunded', totalRefunded: charge.amount_refunded, refundId: charge.refunds?.data[0]?.id ?? event.id, reason: 'refunded at Stripe' },
      };
    }
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated': {
      const dispute = event.data.object;
      return { authorizationId: idOf(dispute.payment_intent), change: { kind: 'disputed', status: dispute.status, amount: dispute.amount, reason: dispute.reason } };
    }
    default:
      return { authorizationId: event.type.startsWith('payment_intent.') ? idOf((event.data.object as { id: string }).id) : null, change: { kind: 'none' } };
  }
}

/**
 * `POST /webhooks/stripe`: Stripe's events, verified with the SDK's signature check against
 * STRIPE_WEBHOOK_SECRET (a bad or missing signature, or one older than the tolerance, is 400 as Stripe
 * expects), deduplicated by event id and applied to the payment. 200 answers `{ outcome }` — applied,
 * unchanged, ignored (no payment of ours) or duplicate — so Stripe stops redelivering.
 */
export function stripeWebhookRoute(options: {
  provider: StripeProvider;
  secret: string;
  toleranceSeconds: number;
  payments: PaymentsService;
  logger: Logger;
}): HttpRoute {
  return {
    method: 'POST',
    path: STRIPE_WEBHOOK_PATH,
    handler: async (req, res) => {
      const body = await readWebhookBody(req, res, STRIPE_WEBHOOK_BODY_LIMIT_BYTES);
      if (body === null) return;
      const signature = req.headers['stripe-signature'];
      let event: Stripe.Event;
      try {
        event = options.provider.constructEvent(body, typeof signature === 'string' ? signature : '', options.secret, options.toleranceSeconds);
      } catch {
        options.logger.warn('stripe webhook refused: bad signature');
        return sendJson(res, 400, { error: { code: 'UNAUTHENTICATED', message: 'Stripe-Signature is missing, malformed, too old or does not match' } });
      }
      const { authorizationId, change } = changeOfStripeEvent(event);
      const result = await options.payments.applyProviderEvent({ id: event.id, type: event.type, authorizationId, change });
      options.logger.info({ eventId: event.id, type: event.type, ...result }, 'stripe event handled');
      sendJson(res, 200, { received: true, ...result });
    },
  };
}
