import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { DeliveryContent } from '../db/schema.ts';
import { BlockedAddressError, guardedLookup, type NetworkPolicy, webhookUrlProblem } from '../services/url-guard.ts';
import { PermanentDeliveryError } from './errors.ts';

export type WebhookContent = Extract<DeliveryContent, { kind: 'webhook' }>;

export const SIGNATURE_HEADER = 'x-shopgraph-signature';
export const TIMESTAMP_HEADER = 'x-shopgraph-timestamp';
export const EVENT_ID_HEADER = 'x-shopgraph-event-id';

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: what receivers recompute to verify a call. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Posts signed webhook calls. The connection's address is checked against the network policy when it is
 * resolved (no DNS rebinding between check and connect); redirects are not followed. 2xx is delivered,
 * anything else is retried.
 */
export class WebhookChannel {
  private readonly lookup;

  constructor(private readonly options: { policy: NetworkPolicy; timeoutMs: number }) {
    this.lookup = guardedLookup(options.policy);
  }

  async send(content: WebhookContent, eventId: string, secret: string): Promise<void> {
    const problem = webhookUrlProblem(content.url, this.options.policy);
    if (problem) throw new PermanentDeliveryError(`Webhook URL refused: ${problem}`);
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const url = new URL(content.url);
    const transport = url.protocol === 'https:' ? https : http;
    const status = await new Promise<number>((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          lookup: this.lookup as never,
          timeout: this.options.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(content.body),
            'user-agent': 'shopgraph-webhooks/1',
            [EVENT_ID_HEADER]: eventId,
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signWebhook(secret, timestamp, content.body),
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(content.body);
    }).catch((error: unknown) => {
      if (error instanceof BlockedAddressError) throw new PermanentDeliveryError(error.message);
      throw new Error(`Webhook call failed: ${(error as Error).message}`);
    });
    if (status < 200 || status >= 300) throw new Error(`Webhook endpoint answered HTTP ${status}`);
  }
}
