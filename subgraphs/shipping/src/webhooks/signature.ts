import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header with the unix time (seconds) the carrier signed the request at. */
export const TIMESTAMP_HEADER = 'x-shopgraph-timestamp';
/** Header with `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`. */
export const SIGNATURE_HEADER = 'x-shopgraph-signature';

/** Why a signature was refused, or `valid`. */
export type SignatureCheck = 'valid' | 'missing' | 'malformed' | 'expired' | 'mismatch';

/** The HMAC-SHA256 of `<timestamp>.<body>` with `secret`, hex. */
export function signCarrierPayload(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body, 'utf8').digest('hex');
}

/**
 * Checks a carrier webhook's signature: the timestamp must be within `toleranceSeconds` of `now` either way
 * (an old request replayed, or one signed in the future, is refused), and the signature must be the
 * HMAC of timestamp and raw body, compared in constant time.
 */
export function verifyCarrierSignature(options: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  toleranceSeconds: number;
  now?: Date;
}): SignatureCheck {
  const { timestamp, signature } = options;
  if (!timestamp || !signature) return 'missing';
  const provided = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!/^\d{1,12}$/.test(timestamp) || !provided) return 'malformed';
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > options.toleranceSeconds) return 'expired';
  const expected = Buffer.from(signCarrierPayload(options.secret, timestamp, options.body), 'hex');
  return timingSafeEqual(expected, Buffer.from(provided[1]!, 'hex')) ? 'valid' : 'mismatch';
}
