import type { Viewer } from '@shopgraph/kit';
import { createRemoteJWKSet, jwtVerify } from 'jose';

/**
 * Verifies access tokens against the users subgraph's JWKS. Keys are cached; a token signed with an
 * unknown `kid` triggers a refetch (rate limited by jose), so key rotation needs no restart.
 */
export function createAccessTokenVerifier(options: { jwksUrl: string; issuer: string; audience: string }) {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, timeoutDuration: 5_000 });
  return async (token: string): Promise<Viewer> => {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ['EdDSA'],
      requiredClaims: ['sub', 'exp'],
    });
    return { userId: payload.sub!, role: payload.role === 'ADMIN' ? 'ADMIN' : 'CUSTOMER' };
  };
}

/** The bearer token of an Authorization header; `undefined` when absent, `null` when malformed. */
export function bearerToken(header: string | undefined): string | null | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}
