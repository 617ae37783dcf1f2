import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
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
 */
export function createAssertionSigner(privateKeyPem: string) {
  const key: KeyObject = createPrivateKey(privateKeyPem);
  return async (claims: AssertionClaims): Promise<string> => {
    const jwt = new SignJWT({
      dig: requestDigest(claims.request),
      ...(claims.viewer ? { role: claims.viewer.role } : {}),
      ...(claims.clientIp ? { ip: claims.clientIp } : {}),
      ...(claims.requestId ? { rid: claims.requestId } : {}),
    })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(ROUTER_ISSUER)
      .setAudience(claims.audience)
      .setIssuedAt()
      .setExpirationTime(`${ASSERTION_TTL_SECONDS}s`);
    if (claims.viewer) jwt.setSubject(claims.viewer.userId);
    return jwt.sign(key);
  };
}

/** Signs router assertions (see {@link createAssertionSigner}). */
export type AssertionSigner = ReturnType<typeof createAssertionSigner>;

/** Mints short-lived internal credentials for service-to-service calls; cached until near expiry. */
export function createInternalTokenIssuer(service: string, internalSecret: string) {
  const secret = new TextEncoder().encode(internalSecret);
  let cached: { token: string; until: number } | undefined;
  return async (): Promise<string> => {
    const now = Date.now();
    if (cached && cached.until > now) return cached.token;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(INTERNAL_ISSUER)
      .setSubject(service)
      .setAudience(INTERNAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${INTERNAL_TTL_SECONDS}s`)
      .sign(secret);
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
  const routerKey = createPublicKey(options.routerPublicKey);
  const internalKey = new TextEncoder().encode(options.internalSecret);
  const verifiedInternal = new VerifiedCredentials();
  return async (headers: Record<string, string | string[] | undefined>, request: AssertedRequest | typeof CONNECTION_INIT): Promise<Caller | null> => {
    const assertion = single(headers[ASSERTION_HEADER]);
    if (assertion) {
      try {
        const { payload } = await jwtVerify(assertion, routerKey, {
          issuer: ROUTER_ISSUER,
          audience: options.audience,
          algorithms: ['EdDSA'],
          requiredClaims: ['exp', 'dig'],
          clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS,
          // One minted with a far expiry (a bug, or a key used elsewhere) is still refused after TTL + tolerance.
          maxTokenAge: ASSERTION_TTL_SECONDS,
        });
        if (payload.dig !== requestDigest(request)) return null;
        const role = payload.role === 'ADMIN' ? 'ADMIN' : 'CUSTOMER';
        return {
          kind: 'router',
          viewer: payload.sub ? { userId: payload.sub, role } : null,
          ...(typeof payload.ip === 'string' ? { clientIp: payload.ip } : {}),
          ...(typeof payload.rid === 'string' ? { requestId: payload.rid } : {}),
        };
      } catch {
        return null;
      }
    }
    const internal = single(headers[INTERNAL_HEADER]);
    if (internal) {
      const known = verifiedInternal.get(internal);
      if (known && known.expiresAt > Date.now()) return { kind: 'internal', service: known.service };
      verifiedInternal.delete(internal);
      try {
        const { payload } = await jwtVerify(internal, internalKey, {
          issuer: INTERNAL_ISSUER,
          audience: INTERNAL_AUDIENCE,
          algorithms: ['HS256'],
          requiredClaims: ['exp'],
        });
        if (!payload.sub) return null;
        verifiedInternal.set(internal, { service: payload.sub, expiresAt: payload.exp! * 1000 });
        return { kind: 'internal', service: payload.sub };
      } catch {
        return null;
      }
    }
    return null;
  };
}

/**
 * Internal credentials this process has verified, until they expire. A calling service sends the same credential
 * for most of a minute (createInternalTokenIssuer caches it), so the signature of the exact same text is checked
 * once, not on every internal request. Only verified texts enter; at most a few hundred live at a time, and the
 * oldest goes first beyond that.
 */
class VerifiedCredentials {
  private readonly entries = new Map<string, { service: string; expiresAt: number }>();
  constructor(private readonly max = 256) {}
  get(token: string) {
    return this.entries.get(token);
  }
  delete(token: string) {
    this.entries.delete(token);
  }
  set(token: string, entry: { service: string; expiresAt: number }) {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, entry);
  }
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
