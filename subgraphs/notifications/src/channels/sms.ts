import type { DeliveryContent } from '../db/schema.ts';
import { PermanentDeliveryError } from './errors.ts';

export type SmsContent = Extract<DeliveryContent, { kind: 'sms' }>;

export interface SmsConfig {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  timeoutMs: number;
}

/**
 * A Twilio-style SMS provider: `POST {apiUrl}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded
 * `To`, `From`, `Body`, basic auth `sid:token`. 2xx is sent; 429 and 5xx are retried; other 4xx (a bad
 * number, bad credentials) are permanent.
 */
export class SmsChannel {
  constructor(private readonly config: SmsConfig) {}

  async send(content: SmsContent): Promise<void> {
    const { apiUrl, accountSid, authToken, from, timeoutMs } = this.config;
    const url = `${apiUrl.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ To: content.to, From: from, Body: content.body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.ok) {
      await response.body?.cancel();
      return;
    }
    const detail = (await response.text().catch(() => '')).slice(0, 200);
    const message = `SMS provider answered ${response.status}${detail ? `: ${detail}` : ''}`;
    if (response.status >= 400 && response.status < 500 && response.status !== 429) throw new PermanentDeliveryError(message);
    throw new Error(message);
  }
}
