import { gql, errorCode } from '@shopgraph/kit/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, newUserInput, REGISTER, startStack, type TestStack } from '../../test/support/stack.ts';

/** Account flows through the router: register, sign in, refresh, sign out, profile and addresses. */

let stack: TestStack;
let sql: postgres.Sql;

beforeAll(async () => {
  stack = await startStack({
    usersEnv: { LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: '3', LOGIN_MAX_ATTEMPTS_PER_IP: '40' },
  });
  sql = postgres(stack.usersDatabaseUrl, { max: 1 });
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const userCount = async () => Number((await sql`select count(*)::int as n from users`)[0]!.n);

async function register(overrides = {}) {
  const input = newUserInput(overrides);
  const res = await gql(stack.url, REGISTER, { input });
  expect(res.errors).toBeUndefined();
  return { input, ...res.data!.register };
}

const ADDRESS = { line1: 'Unter den Linden 1', city: 'Berlin', postalCode: '10117', country: 'de' };

describe('register', () => {
  it('creates a customer and signs it in', async () => {
    const { input, accessToken, refreshToken, expiresAt, user } = await register({ email: `Mixed.${Date.now()}@Example.com` });
    expect(user).toMatchObject({ email: input.email.toLowerCase(), name: input.name, role: 'CUSTOMER' });
    expect(accessToken.split('.')).toHaveLength(3);
    expect(refreshToken.length).toBeGreaterThanOrEqual(40);
    expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
    const stored = await sql`select password_hash from users where id = ${user.id}`;
    expect(stored[0]!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it('refuses a duplicate email, case-insensitively, with CONFLICT and writes nothing', async () => {
    const { input } = await register();
    const before = await userCount();
    const res = await gql(stack.url, REGISTER, { input: { ...input, email: input.email.toUpperCase() } });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(await userCount()).toBe(before);
  });

  it.each([
    ['a malformed email', { email: 'not-an-email' }, 'email'],
    ['a weak password', { password: 'short' }, 'password'],
    ['an empty name', { name: '   ' }, 'name'],
  ])('refuses %s with BAD_USER_INPUT naming the field, and writes nothing', async (_label, override, field) => {
    const before = await userCount();
    const res = await gql(stack.url, REGISTER, { input: newUserInput(override) });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await userCount()).toBe(before);
  });
});

describe('login', () => {
  it('signs in with the right password', async () => {
    const { input, user } = await register();
    const res = await gql(stack.url, LOGIN, { email: input.email, password: input.password });
    expect(res.data!.login.user.id).toBe(user.id);
    const me = await gql(stack.url, '{ me { id } }', {}, { token: res.data!.login.accessToken });
    expect(me.data!.me.id).toBe(user.id);
  });

  it('answers a wrong password and an unknown email identically', async () => {
    const { input } = await register();
    const wrong = await gql(stack.url, LOGIN, { email: input.email, password: 'wrong password!!' });
    const unknown = await gql(stack.url, LOGIN, { email: `nobody-${Date.now()}@example.com`, password: 'wrong password!!' });
    expect(wrong.status).toBe(unknown.status);
    expect(wrong.errors).toEqual(unknown.errors);
    expect(errorCode(wrong)).toBe('UNAUTHENTICATED');
  });

  it('rate limits failed attempts per account from one address, even for the right password afterwards', async () => {
    const { input } = await register();
    for (let i = 0; i < 3; i++) {
      expect(errorCode(await gql(stack.url, LOGIN, { email: input.email, password: 'wrong password!!' }))).toBe('UNAUTHENTICATED');
    }
    const limited = await gql(stack.url, LOGIN, { email: input.email, password: input.password });
    expect(errorCode(limited)).toBe('RATE_LIMITED');
    expect(limited.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('rate limits attempts per client address', async () => {
    const limitedStack = await startStack({ usersEnv: { LOGIN_MAX_ATTEMPTS_PER_IP: '5' } });
    try {
      const codes: Array<string | undefined> = [];
      for (let i = 0; i < 7; i++) {
        codes.push(errorCode(await gql(limitedStack.url, LOGIN, { email: `someone${i}@example.com`, password: 'wrong password!!' })));
      }
      expect(codes.slice(0, 5)).toEqual(Array(5).fill('UNAUTHENTICATED'));
      expect(codes.slice(5)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    } finally {
      await limitedStack.stop();
    }
  });

  it('signs in the seeded development admin', async () => {
    const res = await gql(stack.url, LOGIN, { email: 'admin@example.com', password: 'admin-password-change-me' });
    expect(res.data!.login.user.role).toBe('ADMIN');
  });
});

const REFRESH = 'mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken user { id } } }';
const LOGOUT = 'mutation($t: String!) { logout(refreshToken: $t) }';

describe('refresh tokens', () => {
  it('rotates: a refresh token works once and yields a working pair', async () => {
    const { refreshToken, user } = await register();
    const first = await gql(stack.url, REFRESH, { t: refreshToken });
    expect(first.data!.refreshToken.user.id).toBe(user.id);
    expect(first.data!.refreshToken.refreshToken).not.toBe(refreshToken);
    const me = await gql(stack.url, '{ me { id } }', {}, { token: first.data!.refreshToken.accessToken });
    expect(me.data!.me.id).toBe(user.id);
    const second = await gql(stack.url, REFRESH, { t: first.data!.refreshToken.refreshToken });
    expect(second.errors).toBeUndefined();
  });

  it('revokes the whole family when a spent token is reused', async () => {
    const { refreshToken } = await register();
    const rotated = await gql(stack.url, REFRESH, { t: refreshToken });
    const current = rotated.data!.refreshToken.refreshToken;
    const reuse = await gql(stack.url, REFRESH, { t: refreshToken });
    expect(errorCode(reuse)).toBe('UNAUTHENTICATED');
    // The thief's reuse also kills the legitimate successor.
    expect(errorCode(await gql(stack.url, REFRESH, { t: current }))).toBe('UNAUTHENTICATED');
  });

  it('lets only one of two concurrent refreshes of the same token succeed', async () => {
    const { refreshToken } = await register();
    const results = await Promise.all([gql(stack.url, REFRESH, { t: refreshToken }), gql(stack.url, REFRESH, { t: refreshToken })]);
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
  });

  it('refuses an unknown refresh token', async () => {
    expect(errorCode(await gql(stack.url, REFRESH, { t: 'made-up-token' }))).toBe('UNAUTHENTICATED');
  });

  it('logout revokes the refresh token; a second logout returns false', async () => {
    const { refreshToken } = await register();
    expect((await gql(stack.url, LOGOUT, { t: refreshToken })).data).toEqual({ logout: true });
    expect((await gql(stack.url, LOGOUT, { t: refreshToken })).data).toEqual({ logout: false });
    const refused = await gql(stack.url, REFRESH, { t: refreshToken });
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    // Signing out is not a stolen token: the message says what happened.
    expect(refused.errors![0]!.message).toBe('This sign-in has ended (signed out); sign in again');
  });
});

describe('profile and addresses', () => {
  const UPDATE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { id name email } }';
  const ADD = 'mutation($input: AddressInput!) { addAddress(input: $input) { id line1 line2 city region postalCode country } }';
  const REMOVE = 'mutation($id: ID!) { removeAddress(id: $id) }';

  it('reads and updates the profile', async () => {
    const { accessToken: token } = await register();
    const updated = await gql(stack.url, UPDATE, { input: { name: 'Renamed Shopper' } }, { token });
    expect(updated.data!.updateProfile.name).toBe('Renamed Shopper');
    const me = await gql(stack.url, '{ me { name } }', {}, { token });
    expect(me.data!.me.name).toBe('Renamed Shopper');
  });

  it('refuses to take another account’s email (CONFLICT) and an empty update (BAD_USER_INPUT)', async () => {
    const other = await register();
    const { accessToken: token } = await register();
    expect(errorCode(await gql(stack.url, UPDATE, { input: { email: other.input.email } }, { token }))).toBe('CONFLICT');
    expect(errorCode(await gql(stack.url, UPDATE, { input: {} }, { token }))).toBe('BAD_USER_INPUT');
  });

  it('adds, lists and removes addresses', async () => {
    const { accessToken: token } = await register();
    const added = await gql(stack.url, ADD, { input: ADDRESS }, { token });
    expect(added.data!.addAddress).toMatchObject({ line1: 'Unter den Linden 1', line2: null, country: 'DE' });
    const id = added.data!.addAddress.id;
    const me = await gql(stack.url, '{ me { addresses { id city } } }', {}, { token });
    expect(me.data!.me.addresses).toEqual([{ id, city: 'Berlin' }]);
    expect((await gql(stack.url, REMOVE, { id }, { token })).data).toEqual({ removeAddress: true });
    expect((await gql(stack.url, REMOVE, { id }, { token })).data).toEqual({ removeAddress: false });
  });

  it('refuses an address with an unknown country and writes nothing', async () => {
    const { accessToken: token, user } = await register();
    const res = await gql(stack.url, ADD, { input: { ...ADDRESS, country: 'XX' } }, { token });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toContain('country');
    expect((await sql`select count(*)::int as n from addresses where user_id = ${user.id}`)[0]!.n).toBe(0);
  });

  it('cannot remove another user’s address', async () => {
    const owner = await register();
    const added = await gql(stack.url, ADD, { input: ADDRESS }, { token: owner.accessToken });
    const intruder = await register();
    const res = await gql(stack.url, REMOVE, { id: added.data!.addAddress.id }, { token: intruder.accessToken });
    expect(res.data).toEqual({ removeAddress: false });
    const still = await gql(stack.url, '{ me { addresses { id } } }', {}, { token: owner.accessToken });
    expect(still.data!.me.addresses).toHaveLength(1);
  });

  it('needs a signed-in user', async () => {
    expect(errorCode(await gql(stack.url, UPDATE, { input: { name: 'x' } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await gql(stack.url, ADD, { input: ADDRESS }))).toBe('UNAUTHENTICATED');
  });
});

describe('reading users', () => {
  const USER = 'query($id: ID!) { user(id: $id) { id email } }';
  const USERS = 'query($first: Int, $after: String) { users(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }';

  async function adminToken() {
    const res = await gql(stack.url, LOGIN, { email: 'admin@example.com', password: 'admin-password-change-me' });
    return res.data!.login.accessToken as string;
  }

  it('lets a customer read themselves but not another user', async () => {
    const alice = await register();
    const bob = await register();
    expect((await gql(stack.url, USER, { id: alice.user.id }, { token: alice.accessToken })).data!.user.id).toBe(alice.user.id);
    const res = await gql(stack.url, USER, { id: bob.user.id }, { token: alice.accessToken });
    expect(errorCode(res)).toBe('FORBIDDEN');
    expect(JSON.stringify(res)).not.toContain(bob.input.email);
  });

  it('lets an admin read anyone and page through all users', async () => {
    const token = await adminToken();
    const someone = await register();
    expect((await gql(stack.url, USER, { id: someone.user.id }, { token })).data!.user.email).toBe(someone.input.email);
    const seen = new Set<string>();
    let after: string | null = null;
    for (;;) {
      const page: any = await gql(stack.url, USERS, { first: 3, after }, { token });
      expect(page.errors).toBeUndefined();
      for (const edge of page.data.users.edges) seen.add(edge.node.id);
      if (!page.data.users.pageInfo.hasNextPage) break;
      after = page.data.users.pageInfo.endCursor;
    }
    expect(seen.size).toBe(await userCount());
  });

  it('refuses users() to customers and first over 100', async () => {
    const { accessToken } = await register();
    expect(errorCode(await gql(stack.url, USERS, { first: 10 }, { token: accessToken }))).toBe('FORBIDDEN');
    expect(errorCode(await gql(stack.url, USERS, { first: 101 }, { token: await adminToken() }))).toBe('BAD_USER_INPUT');
    expect(errorCode(await gql(stack.url, USERS, { first: 5, after: 'garbage' }, { token: await adminToken() }))).toBe('BAD_USER_INPUT');
  });
});
