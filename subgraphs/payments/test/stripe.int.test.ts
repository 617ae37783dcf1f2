import { errorCode } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHENTICATION_REQUIRED } from '../src/providers/stripe-provider.ts';
import { STRIPE_WEBHOOK_PATH } from '../src/webhooks/stripe-webhook.ts';
import { FakeStripe, stripeSignature } from './fake-stripe.ts';
import { authorizationIdOf, cancel, capture, captureOk, newCapture, PAYMENT, paymentOf, type PaymentsFixture, refund, startPayments, VALIDATE_TOKEN, viewerCaller } from './fixture.ts';

const WEBHOOK_SECRET = 'whsec_test_shopgraph';

let f: PaymentsFixture;
let stripe: FakeStripe;
let webhookUrl: string;

beforeAll(async () => {
  stripe = await new FakeStripe().start();
  f = await startPayments({
    PAYMENT_PROVIDER: 'stripe',
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_URL: stripe.url,
    STRIPE_TIMEOUT_MS: '400',
    // The saga is the retry loop under test: the SDK's own retries would hide the first timeout.
    STRIPE_MAX_NETWORK_RETRIES: '0',
  });
  webhookUrl = `${f.stack.subgraphs.payments!.origin}${STRIPE_WEBHOOK_PATH}`;
});

afterAll(async () => {
  await f?.stop();
  await stripe?.stop();
});

const stripeCapture = (overrides: Parameters<typeof newCapture>[1] = {}) => newCapture(f, { paymentToken: 'pm_card_visa', ...overrides });
const requestsWithKey = (key: string) => stripe.requests.filter((r) => r.idempotencyKey === key);

async function capturedIntent(amount = 2500) {
  const input = stripeCapture({ amount });
  const result = await captureOk(f, input);
  expect(result.outcome).toBe('CAPTURED');
  return { orderId: input.orderId, intentId: await authorizationIdOf(f, input.orderId) };
}

describe('Stripe provider', () => {
  it('authorizes with manual capture, then captures, each with a key derived from the order', async () => {
    const input = stripeCapture();
    const result = await captureOk(f, input);
    expect(result).toMatchObject({ outcome: 'CAPTURED', payment: { status: 'CAPTURED', capturedAmount: { amount: 2500 }, method: { brand: 'visa', last4: '4242' } } });
    const [intent, ...others] = stripe.intentsOfOrder(input.orderId);
    expect(others).toEqual([]);
    expect(intent).toMatchObject({ capture_method: 'manual', status: 'succeeded', amount: 2500, amount_received: 2500, currency: 'eur', payment_method: 'pm_card_visa' });
    expect(await authorizationIdOf(f, input.orderId)).toBe(intent!.id);
    expect(requestsWithKey(`${input.orderId}:authorize`).map((r) => r.path)).toEqual(['/v1/payment_intents']);
    expect(requestsWithKey(`${input.orderId}:capture`).map((r) => [r.path, r.params.amount_to_capture])).toEqual([[`/v1/payment_intents/${intent!.id}/capture`, '2500']]);
    // A repeat answers from payments' own record: Stripe is not asked to act again.
    const before = stripe.requests.filter((r) => r.method === 'POST').length;
    expect((await captureOk(f, input)).outcome).toBe('CAPTURED');
    expect(stripe.requests.filter((r) => r.method === 'POST').length).toBe(before);
  });

  it('reports declines with the decline code, and captures nothing', async () => {
    for (const [token, code] of [
      ['pm_card_chargeDeclined', 'generic_decline'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ] as const) {
      const input = stripeCapture({ paymentToken: token });
      const result = await captureOk(f, input);
      expect(result).toMatchObject({ outcome: 'DECLINED', reason: code, payment: { status: 'DECLINED', declineReason: code, capturedAmount: { amount: 0 } } });
      expect(stripe.intentsOfOrder(input.orderId).map((i) => i.status)).toEqual(['requires_payment_method']);
      expect(requestsWithKey(`${input.orderId}:capture`)).toEqual([]);
    }
  });

  it('surfaces 3-D Secure (requires_action) to the customer with a stable code, holding nothing', async () => {
    const input = stripeCapture({ paymentToken: 'pm_card_authenticationRequired' });
    const result = await captureOk(f, input);
    expect(result).toMatchObject({ outcome: 'DECLINED', reason: AUTHENTICATION_REQUIRED, payment: { status: 'DECLINED' } });
    expect(stripe.intentsOfOrder(input.orderId).map((i) => i.status)).toEqual(['requires_action']);
    expect(requestsWithKey(`${input.orderId}:capture`)).toEqual([]);
    // The customer sees it on their order's payment through the router's signed identity.
    const asCustomer = viewerCaller(f, { userId: f.customers[0]!.id, role: 'CUSTOMER' });
    const res = await asCustomer(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { payment { status declineReason } } } }`, {
      r: [{ __typename: 'Order', id: input.orderId }],
    });
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities[0].payment).toEqual({ status: 'DECLINED', declineReason: 'authentication_required' });
  });

  it('after a timeout, retries with the same idempotency key and charges once', async () => {
    const input = stripeCapture();
    stripe.fail({ method: 'POST', path: '/v1/payment_intents', kind: 'timeout', delayMs: 3_000 });
    const first = await captureOk(f, input);
    expect(first).toMatchObject({ outcome: 'RETRY', reason: 'provider_unavailable', payment: { status: 'PENDING' } });
    // Stripe did create the PaymentIntent: only its answer was lost.
    expect(stripe.intentsOfOrder(input.orderId)).toHaveLength(1);
    const second = await captureOk(f, input);
    expect(second).toMatchObject({ outcome: 'CAPTURED', payment: { status: 'CAPTURED', capturedAmount: { amount: 2500 } } });
    const attempts = requestsWithKey(`${input.orderId}:authorize`);
    expect(attempts.map((r) => r.replayed)).toEqual([false, true]);
    expect(stripe.intentsOfOrder(input.orderId)).toHaveLength(1);
    expect(stripe.intentsOfOrder(input.orderId)[0]!.status).toBe('succeeded');
  });

  it('voids an authorization whose capture failed when the order is cancelled', async () => {
    const input = stripeCapture();
    stripe.fail({ method: 'POST', path: '/v1/payment_intents/pi_', kind: 'unavailable' });
    expect((await captureOk(f, input)).payment.status).toBe('AUTHORIZED');
    const res = await cancel(f, input.orderId);
    expect(res.errors).toBeUndefined();
    expect(res.data!.cancelPayment.status).toBe('VOIDED');
    expect(stripe.intentsOfOrder(input.orderId)[0]).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(requestsWithKey(`${input.orderId}:void`)).toHaveLength(1);
  });

  it('refunds part, then the rest, with one Stripe refund per key', async () => {
    const { orderId, intentId } = await capturedIntent();
    const partial = await refund(f, { orderId, amount: 1000 });
    expect(partial.errors).toBeUndefined();
    expect(partial.data!.refundPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 1000 } });
    const rest = await refund(f, { orderId });
    expect(rest.data!.refundPayment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 2500 } });
    const refunds = [...stripe.refunds.values()].filter((r) => r.payment_intent === intentId);
    expect(refunds.map((r) => r.amount).sort()).toEqual([1000, 1500]);
    expect(requestsWithKey(`${orderId}:refund:1`).map((r) => r.params.amount)).toEqual(['1000']);
    expect(requestsWithKey(`${orderId}:refund:2`).map((r) => r.params.amount)).toEqual(['1500']);
    const over = await refund(f, { orderId, amount: 1 });
    expect(errorCode(over)).toBe('BAD_USER_INPUT');
  });

  it('after a crash between a Stripe refund and our commit, records that refund (idempotency_error) and reports CONFLICT', async () => {
    const { orderId, intentId } = await capturedIntent(1000);
    // What a refundPayment that crashed after Stripe answered left behind: a refund under key refund:1.
    await f.built.provider.refund({ idempotencyKey: `${orderId}:refund:1`, authorizationId: intentId, amount: 250, reason: 'goodwill' });
    const res = await refund(f, { orderId, amount: 400, reason: 'wrong size' });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(requestsWithKey(`${orderId}:refund:1`).map((r) => r.status)).toEqual([200, 400]);
    expect(await paymentOf(f, orderId)).toMatchObject({ refundedAmount: { amount: 250 }, refunds: [{ amount: { amount: 250 }, reason: 'goodwill' }] });
    const again = await refund(f, { orderId, amount: 400, reason: 'wrong size' });
    expect(again.data!.refundPayment.refundedAmount.amount).toBe(650);
    expect([...stripe.refunds.values()].filter((r) => r.payment_intent === intentId).map((r) => r.amount).sort()).toEqual([250, 400]);
  });

  it('refuses unknown payment methods, and answers SERVICE_UNAVAILABLE when Stripe cannot be reached', async () => {
    expect(errorCode(await capture(f, stripeCapture({ paymentToken: 'pm_card_unknown' })))).toBe('BAD_USER_INPUT');
    expect(errorCode(await capture(f, stripeCapture({ paymentToken: 'tok_visa' })))).toBe('BAD_USER_INPUT');
    expect((await f.internal(VALIDATE_TOKEN, { token: 'pm_card_visa' })).data).toEqual({ validatePaymentToken: true });
    stripe.fail({ method: 'GET', path: '/v1/payment_methods/', kind: 'unavailable' });
    const down = await f.internal(VALIDATE_TOKEN, { token: 'pm_card_visa' });
    expect(errorCode(down)).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(down)).not.toContain(stripe.secretKey);
  });
});

describe('Stripe webhooks', () => {
  it('applies a refund made at Stripe once: a replay is a duplicate', async () => {
    const { orderId, intentId } = await capturedIntent();
    const stripeRefund = stripe.refundDirectly(intentId, 700);
    const event = stripe.event('charge.refunded', stripe.charge(stripeRefund.charge));
    const first = await stripe.deliver(webhookUrl, event, WEBHOOK_SECRET);
    expect(first).toEqual({ status: 200, body: { received: true, outcome: 'applied', orderId } });
    const payment = await paymentOf(f, orderId);
    expect(payment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 700 } });
    expect(payment.refunds.map((r: { amount: { amount: number } }) => r.amount.amount)).toEqual([700]);
    const replay = await stripe.deliver(webhookUrl, event, WEBHOOK_SECRET);
    expect(replay).toEqual({ status: 200, body: { received: true, outcome: 'duplicate', orderId: null } });
    expect((await paymentOf(f, orderId)).refunds).toHaveLength(1);
    // Our own refund's event changes nothing: payments recorded it when it asked.
    await refund(f, { orderId, amount: 300 });
    const ours = await stripe.deliver(webhookUrl, stripe.event('charge.refunded', stripe.charge(stripeRefund.charge)), WEBHOOK_SECRET);
    expect(ours.body.outcome).toBe('unchanged');
    expect(await paymentOf(f, orderId)).toMatchObject({ refundedAmount: { amount: 1000 } });
    const [row] = await f.sql`select requested_by from refunds r join payments p on p.id = r.payment_id where p.order_id = ${orderId} order by sequence limit 1`;
    expect(row!.requested_by).toBe('provider');
  });

  it('refuses a bad, missing or stale signature and records nothing', async () => {
    const { orderId, intentId } = await capturedIntent();
    const event = stripe.event('payment_intent.canceled', { ...stripe.paymentIntents.get(intentId), status: 'canceled' });
    const [{ count: before }] = (await f.sql`select count(*)::int from provider_events`) as unknown as [{ count: number }];
    const wrongSecret = await stripe.deliver(webhookUrl, event, 'whsec_someone_else');
    const missing = await stripe.deliver(webhookUrl, event, WEBHOOK_SECRET, { signature: '' });
    const stale = await stripe.deliver(webhookUrl, event, WEBHOOK_SECRET, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    const tampered = await stripe.deliver(webhookUrl, event, WEBHOOK_SECRET, { signature: stripeSignature('{"id":"evt_other"}', WEBHOOK_SECRET) });
    for (const res of [wrongSecret, missing, stale, tampered]) expect(res).toMatchObject({ status: 400, body: { error: { code: 'UNAUTHENTICATED' } } });
    const [{ count: after }] = (await f.sql`select count(*)::int from provider_events`) as unknown as [{ count: number }];
    expect(after).toBe(before);
    expect((await paymentOf(f, orderId)).status).toBe('CAPTURED');
  });

  it('applies captures and cancellations made at Stripe, and records disputes', async () => {
    // An authorization left AUTHORIZED (capture failed), then captured from Stripe's dashboard.
    const input = stripeCapture();
    stripe.fail({ method: 'POST', path: '/v1/payment_intents/pi_', kind: 'unavailable' });
    await captureOk(f, input);
    const intentId = await authorizationIdOf(f, input.orderId);
    const succeeded = stripe.event('payment_intent.succeeded', { ...stripe.paymentIntents.get(intentId), status: 'succeeded', amount_received: 2500 });
    expect((await stripe.deliver(webhookUrl, succeeded, WEBHOOK_SECRET)).body.outcome).toBe('applied');
    expect(await paymentOf(f, input.orderId)).toMatchObject({ status: 'CAPTURED', capturedAmount: { amount: 2500 } });

    const other = stripeCapture();
    stripe.fail({ method: 'POST', path: '/v1/payment_intents/pi_', kind: 'unavailable' });
    await captureOk(f, other);
    const otherIntent = await authorizationIdOf(f, other.orderId);
    const canceled = stripe.event('payment_intent.canceled', { ...stripe.paymentIntents.get(otherIntent), status: 'canceled' });
    expect((await stripe.deliver(webhookUrl, canceled, WEBHOOK_SECRET)).body.outcome).toBe('applied');
    expect((await paymentOf(f, other.orderId)).status).toBe('VOIDED');

    const dispute = stripe.event('charge.dispute.created', stripe.dispute(intentId));
    expect((await stripe.deliver(webhookUrl, dispute, WEBHOOK_SECRET)).body.outcome).toBe('applied');
    const res = await f.internal(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { payment { ${PAYMENT} disputeStatus } } } }`, {
      r: [{ __typename: 'Order', id: input.orderId }],
    });
    expect(res.data!._entities[0].payment).toMatchObject({ status: 'CAPTURED', disputeStatus: 'needs_response' });

    // An event about a PaymentIntent that is not ours is acknowledged and ignored.
    const foreign = stripe.event('payment_intent.succeeded', { id: 'pi_not_ours', object: 'payment_intent', amount_received: 100 });
    expect((await stripe.deliver(webhookUrl, foreign, WEBHOOK_SECRET)).body).toMatchObject({ outcome: 'ignored', orderId: null });
  });
});
