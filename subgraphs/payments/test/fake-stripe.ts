import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local HTTP server speaking the subset of Stripe's REST API that payments' Stripe adapter uses, so the
 * tests run the real `stripe` SDK over real HTTP: form-encoded bodies with bracketed keys, Bearer secret keys,
 * `Idempotency-Key` semantics (a repeated key with the same request replays the stored answer with
 * `Idempotent-Replayed: true`; with other parameters it is an `idempotency_error`; while the first request
 * is in flight it is 409 `idempotency_key_in_use`), Stripe's error objects (`card_error` 402 with
 * `decline_code` and the PaymentIntent, `invalid_request_error` 400/404, `api_error` 500), and webhook
 * events signed the way Stripe signs them (`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.payload">`).
 *
 * Test payment methods are Stripe's own test ids: pm_card_visa, pm_card_mastercard, pm_card_chargeDeclined
 * (generic_decline), pm_card_chargeDeclinedInsufficientFunds, pm_card_authenticationRequired (3-D Secure:
 * the PaymentIntent stops at requires_action).
 */

type Json = Record<string, any>;

interface TestMethod {
  brand: string;
  last4: string;
  declineCode?: string;
  requiresAction?: boolean;
}

const TEST_METHODS: Record<string, TestMethod> = {
  pm_card_visa: { brand: 'visa', last4: '4242' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444' },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', declineCode: 'generic_decline' },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', declineCode: 'insufficient_funds' },
  pm_card_authenticationRequired: { brand: 'visa', last4: '3184', requiresAction: true },
};

/** A one-shot fault on the next request matching `method` and `path` (a prefix). */
export interface Fault {
  method: string;
  path: string;
  /** `timeout`: the request is carried out but answered only after `delayMs`; `unavailable`: 500, nothing done. */
  kind: 'timeout' | 'unavailable';
  delayMs?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  params: Json;
  status: number;
  replayed: boolean;
}

class StripeFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: Json,
  ) {
    super(String(error.message));
  }
}

const invalid = (message: string, extra: Json = {}, status = 400) => new StripeFailure(status, { type: 'invalid_request_error', message, ...extra });
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** `a[b][0]=c` form keys into nested objects (arrays for numeric indexes), as Stripe reads them. */
export function decodeForm(body: string): Json {
  const root: Json = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(/\[|\]\[|\]/).filter((part) => part !== '');
    let node: Json = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      if (last) node[part] = value;
      else node = node[part] ??= /^\d+$/.test(parts[i + 1]!) ? [] : {};
    });
  }
  return root;
}

/** Signs a webhook payload as Stripe does. */
export function stripeSignature(payload: string, secret: string, timestamp = now()): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export class FakeStripe {
  readonly paymentIntents = new Map<string, Json>();
  readonly charges = new Map<string, Json>();
  readonly refunds = new Map<string, Json>();
  readonly requests: LoggedRequest[] = [];
  private readonly stored = new Map<string, { fingerprint: string; status: number; body: Json }>();
  private readonly inFlight = new Set<string>();
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | null = null;
  url = '';

  constructor(readonly secretKey = 'sk_test_shopgraph_fake') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Arms a one-shot fault. */
  fail(fault: Fault): void {
    this.faults.push(fault);
  }

  /** PaymentIntents whose metadata names this order. */
  intentsOfOrder(orderId: string): Json[] {
    return [...this.paymentIntents.values()].filter((intent) => intent.metadata?.orderId === orderId);
  }

  /** A refund made outside shopgraph (Stripe's dashboard): no idempotency key of ours. */
  refundDirectly(paymentIntentId: string, amount: number): Json {
    return this.createRefund({ payment_intent: paymentIntentId, amount: String(amount), metadata: { reason: 'dashboard' } });
  }

  /** Opens a dispute (chargeback) on a PaymentIntent's charge. */
  dispute(paymentIntentId: string, status = 'needs_response'): Json {
    const intent = this.intent(paymentIntentId);
    return { id: newId('dp'), object: 'dispute', amount: intent.amount_received, currency: intent.currency, charge: intent.latest_charge, payment_intent: intent.id, reason: 'fraudulent', status, created: now(), livemode: false };
  }

  /** An event object as Stripe sends it. */
  event(type: string, object: Json): Json {
    return { id: newId('evt'), object: 'event', api_version: '2025-01-01', created: now(), type, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, data: { object } };
  }

  /** POSTs an event to a webhook endpoint, signed with `secret` (at `timestamp`, default now). */
  async deliver(url: string, event: Json, secret: string, options: { timestamp?: number; signature?: string } = {}): Promise<{ status: number; body: Json }> {
    const payload = JSON.stringify(event, null, 2);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': options.signature ?? stripeSignature(payload, secret, options.timestamp) },
      body: payload,
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  charge(id: string): Json {
    const charge = this.charges.get(id);
    if (!charge) throw new Error(`no charge ${id}`);
    return charge;
  }

  private intent(id: string): Json {
    const intent = this.paymentIntents.get(id);
    if (!intent) throw invalid(`No such payment_intent: '${id}'`, { code: 'resource_missing', param: 'intent' }, 404);
    return intent;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const params = method === 'GET' ? decodeForm(url.searchParams.toString()) : decodeForm(raw);
    const header = req.headers['idempotency-key'];
    const idempotencyKey = typeof header === 'string' ? header : null;
    const log = (status: number, replayed = false) => this.requests.push({ method, path, idempotencyKey, params, status, replayed });
    const send = (status: number, body: Json, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': newId('req'), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}), ...headers });
      res.end(JSON.stringify(body));
    };

    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      log(401);
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    const faultIndex = this.faults.findIndex((f) => f.method === method && path.startsWith(f.path));
    const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0] : undefined;
    if (fault?.kind === 'unavailable') {
      log(500);
      return send(500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
    }

    const fingerprint = `${method} ${path} ${raw}`;
    if (idempotencyKey && method === 'POST') {
      const stored = this.stored.get(idempotencyKey);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          log(400);
          return send(400, {
            error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with.` },
          });
        }
        log(stored.status, true);
        return send(stored.status, stored.body, { 'idempotent-replayed': 'true' });
      }
      if (this.inFlight.has(idempotencyKey)) {
        log(409);
        return send(409, { error: { type: 'idempotency_error', code: 'idempotency_key_in_use', message: 'There is currently another in-progress request using this Idempotent Key.' } });
      }
      this.inFlight.add(idempotencyKey);
    }

    let status = 200;
    let body: Json;
    try {
      body = this.route(method, path, params);
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      status = error.status;
      body = { error: error.error };
    }
    if (idempotencyKey && method === 'POST') {
      this.inFlight.delete(idempotencyKey);
      // Stripe stores every answer of a request it executed (errors included), so a retry gets the same one.
      this.stored.set(idempotencyKey, { fingerprint, status, body });
    }
    log(status);
    if (fault?.kind === 'timeout') {
      // Done, but the answer comes too late: the client gave up and will retry with the same key.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!res.destroyed) send(status, body);
      }, fault.delayMs ?? 5_000);
      this.timers.add(timer);
      return;
    }
    send(status, body);
  }

  private route(method: string, path: string, params: Json): Json {
    let match: RegExpMatchArray | null;
    if (method === 'GET' && (match = path.match(/^\/v1\/payment_methods\/([^/]+)$/))) return this.paymentMethod(match[1]!);
    if (method === 'POST' && path === '/v1/payment_intents') return this.createIntent(params);
    if (method === 'POST' && (match = path.match(/^\/v1\/payment_intents\/([^/]+)\/capture$/))) return this.captureIntent(match[1]!, params);
    if (method === 'POST' && (match = path.match(/^\/v1\/payment_intents\/([^/]+)\/cancel$/))) return this.cancelIntent(match[1]!, params);
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(params);
    if (method === 'GET' && path === '/v1/refunds') {
      const data = [...this.refunds.values()].filter((r) => !params.payment_intent || r.payment_intent === params.payment_intent).reverse();
      return { object: 'list', url: '/v1/refunds', has_more: false, data };
    }
    throw invalid(`Unrecognized request URL (${method}: ${path}).`, {}, 404);
  }

  private paymentMethod(id: string): Json {
    const method = TEST_METHODS[id];
    if (!method) throw invalid(`No such PaymentMethod: '${id}'`, { code: 'resource_missing', param: 'payment_method' }, 404);
    return { id, object: 'payment_method', type: 'card', card: { brand: method.brand, last4: method.last4, exp_month: 12, exp_year: 2034, country: 'US' }, livemode: false };
  }

  private createIntent(params: Json): Json {
    const amount = Number(params.amount);
    if (!Number.isInteger(amount) || amount < 1) throw invalid('Invalid integer: amount', { code: 'parameter_invalid_integer', param: 'amount' });
    if (typeof params.currency !== 'string' || !/^[a-z]{3}$/.test(params.currency)) throw invalid('Invalid currency', { code: 'parameter_invalid_string_empty', param: 'currency' });
    const pm = this.paymentMethod(String(params.payment_method));
    const test = TEST_METHODS[pm.id]!;
    const expand = new Set<string>(Object.values(params.expand ?? {}));
    const intent: Json = {
      id: newId('pi'),
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency: params.currency,
      capture_method: params.capture_method ?? 'automatic_async',
      client_secret: null,
      status: 'requires_confirmation',
      payment_method: pm.id,
      latest_charge: null,
      last_payment_error: null,
      next_action: null,
      metadata: params.metadata ?? {},
      created: now(),
      livemode: false,
    };
    intent.client_secret = `${intent.id}_secret_${randomBytes(8).toString('hex')}`;
    this.paymentIntents.set(intent.id, intent);
    const view = () => ({ ...intent, payment_method: expand.has('payment_method') ? pm : pm.id });
    if (params.confirm !== 'true') return view();
    if (test.declineCode) {
      const error = { type: 'card_error', code: 'card_declined', decline_code: test.declineCode, message: 'Your card was declined.', payment_method: pm };
      Object.assign(intent, { status: 'requires_payment_method', last_payment_error: error });
      throw new StripeFailure(402, { ...error, payment_intent: { ...intent } });
    }
    if (test.requiresAction) {
      Object.assign(intent, { status: 'requires_action', next_action: { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } } });
      return view();
    }
    const charge = { id: newId('ch'), object: 'charge', amount, amount_captured: 0, amount_refunded: 0, captured: false, refunded: false, currency: intent.currency, payment_intent: intent.id, refunds: { object: 'list', data: [] as Json[] } };
    this.charges.set(charge.id, charge);
    const manual = intent.capture_method === 'manual';
    Object.assign(intent, manual ? { status: 'requires_capture', amount_capturable: amount } : { status: 'succeeded', amount_received: amount });
    if (!manual) Object.assign(charge, { captured: true, amount_captured: amount });
    intent.latest_charge = charge.id;
    return view();
  }

  private captureIntent(id: string, params: Json): Json {
    const intent = this.intent(id);
    if (intent.status !== 'requires_capture') {
      throw invalid(`This PaymentIntent could not be captured because it has a status of ${intent.status}.`, { code: 'payment_intent_unexpected_state', payment_intent: intent });
    }
    const amount = params.amount_to_capture === undefined ? intent.amount_capturable : Number(params.amount_to_capture);
    if (!Number.isInteger(amount) || amount < 1 || amount > intent.amount_capturable) throw invalid('amount_to_capture is invalid', { code: 'parameter_invalid_integer', param: 'amount_to_capture' });
    Object.assign(intent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
    Object.assign(this.charge(intent.latest_charge), { captured: true, amount_captured: amount });
    return { ...intent };
  }

  private cancelIntent(id: string, params: Json): Json {
    const intent = this.intent(id);
    if (!['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action'].includes(intent.status)) {
      throw invalid(`You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`, { code: 'payment_intent_unexpected_state' });
    }
    Object.assign(intent, { status: 'canceled', amount_capturable: 0, canceled_at: now(), cancellation_reason: params.cancellation_reason ?? null });
    return { ...intent };
  }

  private createRefund(params: Json): Json {
    if (typeof params.payment_intent !== 'string') throw invalid('Missing required param: payment_intent.', { code: 'parameter_missing', param: 'payment_intent' });
    const intent = this.intent(params.payment_intent);
    if (intent.status !== 'succeeded') throw invalid(`This PaymentIntent does not have a successful charge to refund.`, { code: 'charge_not_refundable' });
    const charge = this.charge(intent.latest_charge);
    const left = charge.amount_captured - charge.amount_refunded;
    const amount = params.amount === undefined ? left : Number(params.amount);
    if (left === 0) throw invalid(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    if (!Number.isInteger(amount) || amount < 1 || amount > left) {
      throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, { code: 'amount_too_large', param: 'amount' });
    }
    const refund = { id: newId('re'), object: 'refund', amount, currency: intent.currency, charge: charge.id, payment_intent: intent.id, status: 'succeeded', metadata: params.metadata ?? {}, created: now() };
    this.refunds.set(refund.id, refund);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    charge.refunds.data.unshift(refund);
    return refund;
  }
}
