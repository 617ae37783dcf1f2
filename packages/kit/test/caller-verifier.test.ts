import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCallerVerifier, createInternalTokenIssuer, generateRouterKeyPair, INTERNAL_HEADER } from '../src/auth.ts';

const secret = 'a-secret-of-the-stack-that-is-long-enough-0123456789';
const { publicKey } = generateRouterKeyPair();
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
