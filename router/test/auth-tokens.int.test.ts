import { errorCode, gql } from '@shopgraph/kit/testing';
import { decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, newUserInput, REGISTER, startStack, type TestStack } from '../../test/support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

const jwksUrl = () => stack.usersUrl.replace('/graphql', '/.well-known/jwks.json');
const jwksKids = async (): Promise<string[]> => ((await (await fetch(jwksUrl())).json()) as { keys: JWK[] }).keys.map((k) => k.kid!);

describe('access token signing key rotation', () => {
  it('accepts tokens of a freshly rotated key at once and keeps accepting tokens of the previous key', async () => {
    const input = newUserInput();
    const registered = await gql(stack.url, REGISTER, { input });
    expect(registered.errors).toBeUndefined();
    const userId: string = registered.data!.register.user.id;
    const oldToken: string = registered.data!.register.accessToken;
    const oldKid = decodeProtectedHeader(oldToken).kid!;
    expect(await jwksKids()).toEqual([oldKid]);

    // The router has verified (and cached the JWKS for) the old key just now.
    const before = await gql(stack.url, '{ me { id } }', {}, { token: oldToken });
    expect(before.data).toEqual({ me: { id: userId } });

    // Rotate, as the users subgraph does once the key is older than SIGNING_KEY_ROTATION_DAYS.
    await stack.users.tokens.ensureSigningKey(new Date(Date.now() + 40 * 86_400_000));
    const login = await gql(stack.url, LOGIN, { email: input.email, password: input.password });
    expect(login.errors).toBeUndefined();
    const newToken: string = login.data!.login.accessToken;
    const newKid = decodeProtectedHeader(newToken).kid!;
    expect(newKid).not.toBe(oldKid);

    // Both keys are published: the new one signs, the old one verifies until its tokens have expired.
    const kids = await jwksKids();
    expect(kids).toHaveLength(2);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));

    // The new kid is unknown to the router's cached JWKS: it refetches and accepts the token.
    const withNew = await gql(stack.url, '{ me { id } }', {}, { token: newToken });
    expect(withNew.status).toBe(200);
    expect(withNew.errors).toBeUndefined();
    expect(withNew.data).toEqual({ me: { id: userId } });

    const withOld = await gql(stack.url, '{ me { id } }', {}, { token: oldToken });
    expect(withOld.status).toBe(200);
    expect(withOld.errors).toBeUndefined();
    expect(withOld.data).toEqual({ me: { id: userId } });
  });

  it('refuses a token whose kid is in no published key, without refetching the JWKS for every such token', async () => {
    let jwksFetches = 0;
    const countJwks = (req: { url?: string }) => void (req.url?.startsWith('/.well-known/jwks.json') && (jwksFetches += 1));
    stack.users.http.server.on('request', countJwks);
    const input = newUserInput();
    const registered = await gql(stack.url, REGISTER, { input });
    const token: string = registered.data!.register.accessToken;
    const [, payload, signature] = token.split('.') as [string, string, string];
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'no-such-key', typ: 'JWT' })).toString('base64url');
    for (let i = 0; i < 20; i += 1) {
      const res = await gql(stack.url, '{ me { id } }', {}, { token: `${header}.${payload}.${signature}` });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHENTICATED');
    }
    stack.users.http.server.off('request', countJwks);
    expect(jwksFetches).toBeGreaterThan(0);
    expect(jwksFetches).toBeLessThanOrEqual(5);
    // The router keeps working for valid tokens afterwards.
    const ok = await gql(stack.url, '{ me { id } }', {}, { token });
    expect(ok.data).toEqual({ me: { id: registered.data!.register.user.id } });
  });
});
