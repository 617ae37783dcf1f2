import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';

/**
 * The live order tracking page: `GET /track/<orderId>` serves one static page that signs the customer in
 * (or takes an access token from the URL fragment), loads the order over HTTP and follows
 * `orderStatusChanged` over graphql-ws. The page holds no data of its own: without a valid token it shows
 * nothing but a sign-in form, so it is served in production too.
 */

/** Answers a request when it is for the tracking page or its assets; false leaves it to the next handler. */
export type TrackingRoutes = (req: IncomingMessage, res: ServerResponse) => boolean;

const PREFIX = '/track/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A Host header we are willing to repeat in the CSP: a name or an IP literal, and a port. */
const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

const PAGE_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=300';

function asset(file: string, type: string, cacheControl: string): Asset {
  const body = readFileSync(file);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  return { body, type, etag, cacheControl };
}

function loadAssets(): { page: Asset; files: Map<string, Asset> } {
  const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
  // The UMD build is not in graphql-ws's `exports`; its package.json is, and the build sits beside it.
  const graphqlWs = join(dirname(createRequire(import.meta.url).resolve('graphql-ws/package.json')), 'umd', 'graphql-ws.min.js');
  return {
    page: asset(here('tracking.html'), 'text/html; charset=utf-8', PAGE_CACHE),
    files: new Map([
      ['tracking.js', asset(here('tracking.js'), 'text/javascript; charset=utf-8', ASSET_CACHE)],
      ['tracking-operations.js', asset(here('tracking-operations.js'), 'text/javascript; charset=utf-8', ASSET_CACHE)],
      ['tracking.css', asset(here('tracking.css'), 'text/css; charset=utf-8', ASSET_CACHE)],
      ['graphql-ws.min.js', asset(graphqlWs, 'text/javascript; charset=utf-8', ASSET_CACHE)],
    ]),
  };
}

/**
 * The GraphQL documents the page sends, exactly as it sends them: `tracking-operations.js` evaluated in an empty
 * context (it only builds strings). The router trusts them when it accepts only trusted documents.
 */
export function trackingOperations(): string[] {
  const source = readFileSync(fileURLToPath(new URL('tracking-operations.js', import.meta.url)), 'utf8');
  const operations = runInNewContext(`${source}\n;shopgraphTrackingOperations`, {}, { timeout: 1_000 }) as Record<string, unknown>;
  return Object.values(operations).filter((value): value is string => typeof value === 'string');
}

/**
 * Same-origin only. `connect-src` names the WebSocket origins of this host explicitly: CSP level 2
 * browsers do not let `'self'` cover ws:/wss:.
 */
function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${sockets}`,
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string>): void {
  res.writeHead(status, {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': contentSecurityPolicy(req.headers.host),
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function serve(req: IncomingMessage, res: ServerResponse, file: Asset): void {
  const headers = { 'content-type': file.type, 'cache-control': file.cacheControl, etag: file.etag };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    return void res.end();
  }
  send(req, res, 200, file.body, headers);
}

/** Builds the handler; the files are read once, on the first request. */
export function createTrackingRoutes(): TrackingRoutes {
  let assets: ReturnType<typeof loadAssets> | undefined;
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!path.startsWith(PREFIX)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, 'Method not allowed\n', { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      return true;
    }
    assets ??= loadAssets();
    const name = path.slice(PREFIX.length);
    const file = UUID.test(name) ? assets.page : assets.files.get(name);
    if (file) serve(req, res, file);
    else send(req, res, 404, 'Not found\n', { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
    return true;
  };
}

/** The router's instance. */
export const trackingRoutes: TrackingRoutes = createTrackingRoutes();
