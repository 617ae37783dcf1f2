import type { IncomingMessage, ServerResponse } from 'node:http';
import { type HttpRoute, type Logger, readWebhookBody, sendJson } from '@shopgraph/kit';
import { GraphQLError } from 'graphql';
import { type CarrierUpdatesService, parseCarrierUpdate } from '../services/carrier-updates.service.ts';
import { SIGNATURE_HEADER, type SignatureCheck, TIMESTAMP_HEADER, verifyCarrierSignature } from './signature.ts';

/** Where carriers POST tracking updates. */
export const CARRIER_WEBHOOK_PATH = '/webhooks/carrier';
/** A tracking update is a few hundred bytes; anything much larger is not one. */
export const WEBHOOK_BODY_LIMIT_BYTES = 64 * 1024;

const REFUSED: Record<Exclude<SignatureCheck, 'valid'>, string> = {
  missing: `Missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header`,
  malformed: `Malformed ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER} header`,
  expired: `${TIMESTAMP_HEADER} is too far from the current time`,
  mismatch: 'Signature does not match',
};

/** HTTP status of an expected failure of applying an update. */
const STATUS_OF_CODE: Record<string, number> = { BAD_USER_INPUT: 400, NOT_FOUND: 404, CONFLICT: 409 };

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function fail(res: ServerResponse, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  sendJson(res, status, { error: { code, message, ...extensions } });
}

/**
 * `POST /webhooks/carrier`: a carrier's signed tracking update (see the README for the protocol). It needs
 * no router or internal credential: the HMAC signature is the credential. Answers 200 with the outcome
 * (applied, unchanged, stale, duplicate), 400 malformed, 401 unsigned/badly signed/replayed, 404 unknown
 * tracking number, 409 a move that is not allowed, 413 too large.
 */
export function carrierWebhookRoute(options: {
  secret: string;
  toleranceSeconds: number;
  bodyLimitBytes: number;
  carrier: CarrierUpdatesService;
  logger: Logger;
}): HttpRoute {
  const limit = Math.min(options.bodyLimitBytes, WEBHOOK_BODY_LIMIT_BYTES);
  return {
    method: 'POST',
    path: CARRIER_WEBHOOK_PATH,
    handler: async (req, res) => {
      const body = await readWebhookBody(req, res, limit);
      if (body === null) return;
      const check = verifyCarrierSignature({
        secret: options.secret,
        timestamp: header(req, TIMESTAMP_HEADER),
        signature: header(req, SIGNATURE_HEADER),
        body,
        toleranceSeconds: options.toleranceSeconds,
      });
      if (check !== 'valid') {
        options.logger.warn({ reason: check }, 'carrier webhook refused');
        return fail(res, 401, 'UNAUTHENTICATED', REFUSED[check]);
      }
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return fail(res, 400, 'BAD_USER_INPUT', 'Request body is not valid JSON');
      }
      try {
        const update = parseCarrierUpdate(json, options.toleranceSeconds);
        const { outcome, shipment } = await options.carrier.apply(update);
        if (outcome === 'applied') options.logger.info({ trackingNumber: shipment.trackingNumber, status: shipment.status }, 'carrier update applied');
        sendJson(res, 200, { outcome, trackingNumber: shipment.trackingNumber, status: shipment.status });
      } catch (error) {
        const code = error instanceof GraphQLError ? String(error.extensions.code) : undefined;
        const status = code ? STATUS_OF_CODE[code] : undefined;
        if (!code || !status) throw error;
        const { code: _code, ...extensions } = (error as GraphQLError).extensions;
        fail(res, status, code, (error as GraphQLError).message, extensions);
      }
    },
  };
}
