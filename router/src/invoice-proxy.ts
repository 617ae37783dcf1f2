import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, sendJson } from '@shopgraph/kit';

/** Invoice and credit note PDFs, served by payments on the router's origin (`Order.invoice.downloadUrl`). */
export const INVOICE_PATH = '/invoices';

/** Headers of payments' answer passed on to the client; nothing else (no internal host names). */
const PASSED = ['content-type', 'content-length', 'content-disposition', 'cache-control'];

/**
 * Forwards `GET /invoices?…` to payments as it is: the signed, expiring link is the credential and payments
 * checks it, so the router adds no identity and a browser can follow the link without a token. Payments
 * unreachable is 503 (retryable), as for GraphQL.
 */
export async function proxyInvoice(req: IncomingMessage, res: ServerResponse, paymentsUrl: string | undefined, logger: Logger): Promise<void> {
  if (!paymentsUrl) return sendJson(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'Invoices are unavailable; retry shortly', retryable: true } });
  const target = new URL(req.url ?? INVOICE_PATH, paymentsUrl);
  let upstream: Response;
  try {
    upstream = await fetch(new URL(`${INVOICE_PATH}${target.search}`, paymentsUrl), { signal: AbortSignal.timeout(15_000) });
  } catch (error) {
    logger.warn({ err: error }, 'invoice download: payments unreachable');
    return sendJson(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'Invoices are unavailable; retry shortly', retryable: true } });
  }
  const headers: Record<string, string> = {};
  for (const name of PASSED) {
    const value = upstream.headers.get(name);
    if (value) headers[name] = value;
  }
  res.writeHead(upstream.status, headers);
  res.end(Buffer.from(await upstream.arrayBuffer()));
}
