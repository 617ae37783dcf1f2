import type { Viewer } from '@shopgraph/kit';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

/**
 * Verifies access tokens against the users subgraph's JWKS. Keys are cached; a token signed with an
 * unknown `kid` triggers a refetch, so key rotation needs no restart.
 *
 * jose refetches for an unknown `kid` only once its cooldown has passed since the last fetch, which
 * would refuse every token of a key rotated in shortly after a fetch for up to the cooldown. Such a
 * refetch is forced instead, within a small budget so that made-up `kid`s cannot flood the JWKS endpoint.
 */
export function createAccessTokenVerifier(options: { jwksUrl: string; issuer: string; audience: string }) {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 5_000 });
  const mayForceRefetch = refetchBudget(3, 10_000);
  const verify = (token: string) =>
    jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ['EdDSA'],
      requiredClaims: ['sub', 'exp'],
    });
  return async (token: string): Promise<Viewer> => {
    let result: Awaited<ReturnType<typeof verify>>;
    try {
      result = await verify(token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !jwks.coolingDown || !mayForceRefetch()) throw error;
      await jwks.reload();
      result = await verify(token);
    }
    const { payload } = result;
    return { userId: payload.sub!, role: payload.role === 'ADMIN' ? 'ADMIN' : 'CUSTOMER' };
  };
}

/** A token bucket: `capacity` at once, then one more every `refillMs`. */
function refetchBudget(capacity: number, refillMs: number): () => boolean {
  let available = capacity;
  let last = Date.now();
  return () => {
    const now = Date.now();
    available = Math.min(capacity, available + (now - last) / refillMs);
    last = now;
    if (available < 1) return false;
    available -= 1;
    return true;
  };
}

/** The bearer token of an Authorization header; `undefined` when absent, `null` when malformed. */
export function bearerToken(header: string | undefined): string | null | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}
