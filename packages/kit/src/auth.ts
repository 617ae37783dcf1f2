import { createHash } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { forbidden, unauthenticated } from './errors.ts';

export { generateRouterKeyPair } from './keys.ts';

/** Header carrying the router's signed identity assertion to subgraphs. */
export const ASSERTION_HEADER = 'x-shopgraph-assertion';
/** Header carrying an internal service credential. */
export const INTERNAL_HEADER = 'x-shopgraph-internal';

export type Role = 'CUSTOMER' | 'ADMIN';

/** A signed-in user, as verified by the router. */
export interface Viewer {
  userId: string;
  role: Role;
}

/** Who is calling a subgraph: the router on behalf of a client (maybe anonymous), or an internal service. */
export type Caller =
  | { kind: 'router'; viewer: Viewer | null; clientIp?: string; requestId?: string }
  | { kind: 'internal'; service: string; requestId?: string };

const ROUTER_ISSUER = 'shopgraph-router';
const INTERNAL_ISSUER = 'shopgraph-internal';
const INTERNAL_AUDIENCE = 'shopgraph-subgraphs';
const INTERNAL_TTL_SECONDS = 60;
/**
 * A router assertion is signed for one outgoing request, just before it is sent, so it needs to live only as
 * long as the request takes to arrive. The tolerance absorbs clock skew between the router's and a
 * subgraph's hosts; a captured assertion is useless after TTL + tolerance.
 */
export const ASSERTION_TTL_SECONDS = 10;
export const ASSERTION_CLOCK_TOLERANCE_SECONDS = 5;

/** The part of a GraphQL request an assertion is bound to. */
export interface AssertedRequest {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

/** What a router assertion opening a graphql-ws connection is bound to (it carries no operation). */
export const CONNECTION_INIT = 'graphql-ws:connection_init';

/**
 * The digest an assertion is bound to: SHA-256 over the operation text, its name and its variables as JSON.
 * The router computes it from what it sends and the subgraph from what it parsed; JSON that went through
 * `JSON.stringify` → `JSON.parse` stringifies to the same text again, so both sides agree.
 */
export function requestDigest(request: AssertedRequest | typeof CONNECTION_INIT): string {
  if (request === CONNECTION_INIT) return CONNECTION_INIT;
  const text = JSON.stringify([typeof request.query === 'string' ? request.query : null, request.operationName ?? null, request.variables ?? {}]);
  return createHash('sha256').update(text).digest('base64url');
}

/** What the router asserts about one request to one subgraph. */
export interface AssertionClaims {
  /** The subgraph the request goes to (its name in the supergraph): no other subgraph accepts it. */
  audience: string;
  /** The request it is for, or {@link CONNECTION_INIT} for opening a subscription connection. */
  request: AssertedRequest | typeof CONNECTION_INIT;
  viewer: Viewer | null;
  clientIp?: string;
  requestId?: string;
}

/**
 * Signs identity assertions. Only the router holds the private key, so only the router can tell a subgraph
 * who the caller is. Each assertion names one subgraph (`aud`), one request (`dig`, see {@link requestDigest})
 * and lives {@link ASSERTION_TTL_SECONDS}: one captured on the wire can only repeat that same request to
 * that same subgraph, for seconds.
 *
 * Assertions are signed and verified on every subgraph request, so with fast-jwt: node:crypto, synchronously,
 * about a third of the CPU of jose's WebCrypto jobs to sign, two thirds to verify (`npm run bench:jwt`).
 */
export function createAssertionSigner(privateKeyPem: string) {
  const sign = createSigner({ key: privateKeyPem, algorithm: 'EdDSA', iss: ROUTER_ISSUER, expiresIn: ASSERTION_TTL_SECONDS * 1000 });
  return async (claims: AssertionClaims): Promise<string> =>
    sign({
      aud: claims.audience,
      dig: requestDigest(claims.request),
      ...(claims.viewer ? { sub: claims.viewer.userId, role: claims.viewer.role } : {}),
      ...(claims.clientIp ? { ip: claims.clientIp } : {}),
      ...(claims.requestId ? { rid: claims.requestId } : {}),
    });
}

/** Signs router assertions (see {@link createAssertionSigner}). */
export type AssertionSigner = ReturnType<typeof createAssertionSigner>;

/** Mints short-lived internal credentials for service-to-service calls; cached until near expiry. */
export function createInternalTokenIssuer(service: string, internalSecret: string) {
  const sign = createSigner({ key: internalSecret, algorithm: 'HS256', iss: INTERNAL_ISSUER, sub: service, aud: INTERNAL_AUDIENCE, expiresIn: INTERNAL_TTL_SECONDS * 1000 });
  let cached: { token: string; until: number } | undefined;
  return async (): Promise<string> => {
    const now = Date.now();
    if (cached && cached.until > now) return cached.token;
    const token = sign({});
    cached = { token, until: now + (INTERNAL_TTL_SECONDS - 10) * 1000 };
    return token;
  };
}

/**
 * Verifies that a request comes from the router or an internal service. `audience` is this subgraph's name:
 * a router assertion must name it, be unexpired, and be bound to `request` (what the caller sent).
 * Returns the caller, or `null` when neither credential is present and valid.
 */
export function createCallerVerifier(options: { routerPublicKey: string; internalSecret: string; audience: string }) {
  const verifyAssertion = createVerifier({
    key: options.routerPublicKey,
    algorithms: ['EdDSA'],
    allowedIss: ROUTER_ISSUER,
    allowedAud: options.audience,
    requiredClaims: ['exp', 'iat', 'dig'],
    clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS * 1000,
    // One minted with a far expiry (a bug, or a key used elsewhere) is still refused after TTL + tolerance.
    maxAge: ASSERTION_TTL_SECONDS * 1000,
  });
  // A calling service sends the same credential for most of a minute (createInternalTokenIssuer caches it): its
  // signature is checked once, and the verified text kept until it expires (a few hundred at most).
  const verifyInternal = createVerifier({
    key: options.internalSecret,
    algorithms: ['HS256'],
    allowedIss: INTERNAL_ISSUER,
    allowedAud: INTERNAL_AUDIENCE,
    requiredClaims: ['exp'],
    cache: 256,
  });
  return async (headers: Record<string, string | string[] | undefined>, request: AssertedRequest | typeof CONNECTION_INIT): Promise<Caller | null> => {
    const assertion = single(headers[ASSERTION_HEADER]);
    if (assertion) {
      let payload: Record<string, unknown>;
      try {
        payload = verifyAssertion(assertion) as Record<string, unknown>;
      } catch {
        return null;
      }
      if (payload.dig !== requestDigest(request)) return null;
      const role = payload.role === 'ADMIN' ? 'ADMIN' : 'CUSTOMER';
      return {
        kind: 'router',
        viewer: typeof payload.sub === 'string' && payload.sub ? { userId: payload.sub, role } : null,
        ...(typeof payload.ip === 'string' ? { clientIp: payload.ip } : {}),
        ...(typeof payload.rid === 'string' ? { requestId: payload.rid } : {}),
      };
    }
    const internal = single(headers[INTERNAL_HEADER]);
    if (internal) {
      try {
        const payload = verifyInternal(internal) as Record<string, unknown>;
        return typeof payload.sub === 'string' && payload.sub ? { kind: 'internal', service: payload.sub } : null;
      } catch {
        return null;
      }
    }
    return null;
  };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The context every subgraph resolver receives (services add their own fields). */
export interface AuthContext {
  caller: Caller;
}

/** The signed-in viewer, or UNAUTHENTICATED. */
export function requireViewer(ctx: AuthContext): Viewer {
  const viewer = ctx.caller.kind === 'router' ? ctx.caller.viewer : null;
  if (!viewer) throw unauthenticated();
  return viewer;
}

/** The signed-in admin, or UNAUTHENTICATED / FORBIDDEN. */
export function requireAdmin(ctx: AuthContext): Viewer {
  const viewer = requireViewer(ctx);
  if (viewer.role !== 'ADMIN') throw forbidden('This operation needs the ADMIN role');
  return viewer;
}

/** Internal services only (operations marked @inaccessible in the public graph). */
export function requireInternal(ctx: AuthContext): string {
  if (ctx.caller.kind !== 'internal') throw forbidden('Internal operation');
  return ctx.caller.service;
}

/** The viewer if signed in, else null. */
export function optionalViewer(ctx: AuthContext): Viewer | null {
  return ctx.caller.kind === 'router' ? ctx.caller.viewer : null;
}
