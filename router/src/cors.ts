import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import { z } from 'zod';

/**
 * CORS for browser storefronts on other origins, with an allow-list (expressjs's `cors` does the headers).
 *
 * - Allowed origins get `Access-Control-Allow-Origin: <their origin>` (never `*`), `Vary: Origin`, and a
 *   preflight answered here with 204, the methods and headers a GraphQL client sends, and a max age: the
 *   preflight never reaches GraphQL. Other origins get no CORS header at all, so browsers keep their pages from
 *   reading answers; their preflights are answered 204 without one, which browsers treat as a refusal.
 * - Credentials (cookies, HTTP auth) are off unless `CORS_ALLOW_CREDENTIALS`: shopgraph's tokens travel in the
 *   Authorization header, which needs no credentials mode.
 * - Apollo's CSRF prevention stays on for everything: a simple (non-preflighted) request without
 *   `apollo-require-preflight` or a JSON content type is refused whatever its origin.
 * - WebSocket upgrades carry no CORS: a browser page of any origin may open one. `allowsWebSocket` refuses an
 *   upgrade whose Origin is neither allowed nor the router's own (the tracking page); non-browser clients send
 *   no Origin and pass.
 */

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** The router's CORS variables. */
export const corsEnvShape = {
  /**
   * Comma-separated origins allowed from browsers: `https://shop.example.com`, `https://*.example.com` (any
   * subdomain), `http://localhost:*` (any port). Unset: localhost and 127.0.0.1 on any port outside production,
   * none in production.
   */
  CORS_ORIGINS: z.string().optional(),
  /** Let allowed origins send cookies/HTTP auth (`Access-Control-Allow-Credentials: true`). */
  CORS_ALLOW_CREDENTIALS: flag.default(false),
  /** How long browsers may cache a preflight answer. */
  CORS_MAX_AGE_SECONDS: z.coerce.number().int().nonnegative().default(600),
};

type CorsEnv = { NODE_ENV: string } & z.infer<z.ZodObject<typeof corsEnvShape>>;

const DEVELOPMENT_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'];

/** Request headers a browser GraphQL client may send (Apollo Client, urql, graphql-request, fetch). */
const ALLOWED_HEADERS = ['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id', 'accept'];
/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after'];

const PATTERN = /^(https?):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}|\*))?$/i;

/** A predicate over origins from allow-list entries; throws on an entry it cannot read. */
export function originMatcher(entries: string[]): (origin: string) => boolean {
  const rules = entries.map((entry) => {
    if (entry === '*') return () => true;
    const match = PATTERN.exec(entry);
    if (!match) throw new Error(`CORS_ORIGINS: cannot read "${entry}" (expected e.g. https://shop.example.com, https://*.example.com, http://localhost:*)`);
    const [, scheme, wildcard, host, port] = match;
    return (url: URL) =>
      url.protocol === `${scheme!.toLowerCase()}:` &&
      (wildcard ? url.hostname.endsWith(`.${host!.toLowerCase()}`) : url.hostname === host!.toLowerCase()) &&
      (port === '*' || url.port === (port === undefined ? '' : new URL(`${scheme}://x:${port}`).port));
  });
  return (origin) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    // An Origin header is scheme://host[:port] and nothing else ("null" and the like are never allowed).
    if (url.origin !== origin) return false;
    return rules.some((rule) => rule(url));
  };
}

/** The allow-list in force: CORS_ORIGINS, else the development defaults outside production. */
export function corsOrigins(env: CorsEnv): string[] {
  if (env.CORS_ORIGINS !== undefined) return env.CORS_ORIGINS.split(',').map((entry) => entry.trim()).filter(Boolean);
  return env.NODE_ENV === 'production' ? [] : DEVELOPMENT_ORIGINS;
}

export interface CorsPolicy {
  /** Adds CORS headers to a /graphql response; answers a preflight and returns true when it did. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Whether a WebSocket upgrade may proceed, judged by its Origin. */
  allowsWebSocket(req: IncomingMessage): boolean;
}

/** The router's CORS policy from its environment. */
export function createCorsPolicy(env: CorsEnv): CorsPolicy {
  const entries = corsOrigins(env);
  if (env.CORS_ALLOW_CREDENTIALS && entries.includes('*')) throw new Error('CORS_ORIGINS=* cannot be combined with CORS_ALLOW_CREDENTIALS=true');
  const allowed = originMatcher(entries);
  const middleware = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed(origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: env.CORS_ALLOW_CREDENTIALS,
    maxAge: env.CORS_MAX_AGE_SECONDS,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
  return {
    handle(req, res) {
      let next = false;
      // Synchronous: the origin callback above answers at once, and `cors` ends a preflight or calls next.
      middleware(req as never, res as never, () => void (next = true));
      if (!next) return true;
      // Answers for different origins differ in their CORS headers: caches must key on Origin.
      if (!res.hasHeader('vary')) res.setHeader('vary', 'Origin');
      if (req.method !== 'OPTIONS') return false;
      // A preflight from an origin not allowed (or an OPTIONS request from no browser): no CORS headers.
      res.writeHead(204, { allow: 'GET, POST, OPTIONS', 'content-length': '0' });
      res.end();
      return true;
    },
    allowsWebSocket(req) {
      const origin = req.headers.origin;
      if (origin === undefined) return true;
      if (allowed(origin)) return true;
      // The router's own pages (the tracking page) connect from its own origin.
      try {
        return new URL(origin).host === req.headers.host;
      } catch {
        return false;
      }
    },
  };
}
