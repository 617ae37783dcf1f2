import { createHmac } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ASSERTION_HEADER, createAssertionSigner, createCallerVerifier, createInternalTokenIssuer, generateRouterKeyPair, INTERNAL_HEADER, requestDigest } from '../src/auth.ts';

const secret = 'a-secret-of-the-stack-that-is-long-enough-0123456789';
const { privateKey, publicKey } = generateRouterKeyPair();
const verifierOf = () => createCallerVerifier({ routerPublicKey: publicKey, internalSecret: secret, audience: 'inventory' });
const internalCall = (token: string) => ({ [INTERNAL_HEADER]: token });
const request = { query: '{ __typename }' };

describe('internal credentials', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts the same credential on every call while it lives, however often it is sent', async () => {
    const verify = verifierOf();
    const token = await createInternalTokenIssuer('orders', secret)();
    for (let call = 0; call < 3; call++) expect(await verify(internalCall(token), request)).toEqual({ kind: 'internal', service: 'orders' });
  });

  it('refuses a credential whose signature was altered, after the genuine one was accepted', async () => {
    const verify = verifierOf();
    const token = await createInternalTokenIssuer('orders', secret)();
    expect(await verify(internalCall(token), request)).not.toBeNull();
    const [header, payload, signature] = token.split('.');
    const altered = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(await verify(internalCall(altered), request)).toBeNull();
    // A credential that claims another service, signed with another secret.
    expect(await verify(internalCall(await createInternalTokenIssuer('payments', `${secret}-other`)()), request)).toBeNull();
  });

  it('refuses an accepted credential once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = verifierOf();
    const token = await createInternalTokenIssuer('orders', secret)();
    expect(await verify(internalCall(token), request)).not.toBeNull();
    vi.setSystemTime(Date.now() + 61_000);
    expect(await verify(internalCall(token), request)).toBeNull();
  });
});

describe('router assertions', () => {
  const sign = createAssertionSigner(privateKey);
  const viewer = { userId: '6f1c1b3e-3b7a-4d55-9a57-0d2b8f3f1a10', role: 'ADMIN' as const };
  const asserted = (assertion: string) => ({ [ASSERTION_HEADER]: assertion });
  const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);

  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts an assertion for this subgraph and this request, with the viewer, address and request id', async () => {
    const assertion = await sign({ audience: 'inventory', request, viewer, clientIp: '203.0.113.9', requestId: 'req-1' });
    expect(await verifierOf()(asserted(assertion), request)).toEqual({ kind: 'router', viewer, clientIp: '203.0.113.9', requestId: 'req-1' });
    expect(await verifierOf()(asserted(await sign({ audience: 'inventory', request, viewer: null })), request)).toEqual({ kind: 'router', viewer: null });
  });

  it('refuses one for another subgraph, or for another request', async () => {
    expect(await verifierOf()(asserted(await sign({ audience: 'orders', request, viewer })), request)).toBeNull();
    expect(await verifierOf()(asserted(await sign({ audience: 'inventory', request: { query: '{ me { id } }' }, viewer })), request)).toBeNull();
  });

  it('refuses one that has expired, or that was minted long ago with a far expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const assertion = await sign({ audience: 'inventory', request, viewer });
    vi.setSystemTime(Date.now() + 16_000);
    expect(await verifierOf()(asserted(assertion), request)).toBeNull();
    vi.useRealTimers();
    const farExpiry = createSigner({ key: privateKey, algorithm: 'EdDSA', iss: 'shopgraph-router', expiresIn: 3_600_000, clockTimestamp: Date.now() - 60_000 });
    expect(await verifierOf()(asserted(farExpiry({ aud: 'inventory', dig: requestDigest(request), sub: viewer.userId })), request)).toBeNull();
  });

  it('refuses an unsigned one, and one signed with the public key as an HMAC secret', async () => {
    const claims = { iss: 'shopgraph-router', aud: 'inventory', sub: viewer.userId, role: 'ADMIN', dig: requestDigest(request), iat: now(), exp: now() + 10 };
    expect(await verifierOf()(asserted(`${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`), request)).toBeNull();
    const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`;
    const confused = `${unsigned}.${createHmac('sha256', publicKey).update(unsigned).digest('base64url')}`;
    expect(await verifierOf()(asserted(confused), request)).toBeNull();
  });
});
