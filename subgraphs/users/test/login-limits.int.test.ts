import { errorCode, gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN, newUserInput, REGISTER, startStack, type TestStack } from '../../../test/support/stack.ts';

/**
 * Sign-in limits under attack, through the router: the limit holds under concurrency (attempts are
 * reserved before the password is checked), and strangers cannot lock the owner out.
 */

let stack: TestStack;

const PER_ACCOUNT_AND_IP = 10;
const PER_ACCOUNT = 25;

beforeAll(async () => {
  stack = await startStack({
    only: [],
    // The router takes the client address from X-Forwarded-For, so one test can speak from many addresses.
    routerEnv: { TRUST_PROXY: 'true' },
    usersEnv: {
      LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: String(PER_ACCOUNT_AND_IP),
      LOGIN_MAX_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT),
      LOGIN_MAX_ATTEMPTS_PER_IP: '1000',
    },
  });
});
afterAll(() => stack?.stop());

let nextAddress = 1;
/** A fresh client address (TEST-NET-3). */
const newAddress = () => `203.0.113.${nextAddress++}`;

const login = (email: string, password: string, address: string) =>
  gql(stack.url, LOGIN, { email, password }, { headers: { 'x-forwarded-for': address } });

async function register() {
  const input = newUserInput();
  const res = await gql(stack.url, REGISTER, { input });
  expect(res.errors).toBeUndefined();
  return input;
}

describe('sign-in limits', () => {
  it('checks at most the limit of passwords when 30 wrong ones arrive at once', async () => {
    const { email } = await register();
    const address = newAddress();
    // Each password check reads the account first; nothing else in this stack queries the users database now.
    const before = stack.usersQueries.count;
    const results = await Promise.all(Array.from({ length: 30 }, () => login(email, 'wrong password!!', address)));
    const checks = stack.usersQueries.count - before;
    const codes = results.map(errorCode);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(PER_ACCOUNT_AND_IP);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(30 - PER_ACCOUNT_AND_IP);
    expect(checks).toBe(PER_ACCOUNT_AND_IP);
    const limited = results.find((r) => errorCode(r) === 'RATE_LIMITED')!;
    expect(limited.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("does not let a stranger's wrong passwords lock the admin out of another address", async () => {
    const stranger = newAddress();
    const codes: Array<string | undefined> = [];
    for (let i = 0; i < PER_ACCOUNT_AND_IP + 3; i++) codes.push(errorCode(await login('admin@example.com', `guess number ${i}!`, stranger)));
    expect(codes.slice(0, PER_ACCOUNT_AND_IP)).toEqual(Array(PER_ACCOUNT_AND_IP).fill('UNAUTHENTICATED'));
    expect(codes.slice(PER_ACCOUNT_AND_IP)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);

    const owner = await login('admin@example.com', 'admin-password-change-me', newAddress());
    expect(owner.errors).toBeUndefined();
    expect(owner.data!.login.user.role).toBe('ADMIN');
    // And the stranger is still refused, even with the right password.
    expect(errorCode(await login('admin@example.com', 'admin-password-change-me', stranger))).toBe('RATE_LIMITED');
  });

  it('caps wrong passwords from many addresses per account, and still lets the owner in from a known address', async () => {
    const { email, password } = await register();
    const home = newAddress();
    expect((await login(email, password, home)).errors).toBeUndefined();

    // Strangers spread over several addresses: together they get at most PER_ACCOUNT password checks.
    const codes: Array<string | undefined> = [];
    for (let s = 0; s < 4; s++) {
      const address = newAddress();
      for (let i = 0; i < PER_ACCOUNT_AND_IP; i++) codes.push(errorCode(await login(email, `guess ${s}-${i} wrong`, address)));
    }
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(PER_ACCOUNT);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(4 * PER_ACCOUNT_AND_IP - PER_ACCOUNT);

    // A new address is refused for this account now, even with the right password...
    expect(errorCode(await login(email, password, newAddress()))).toBe('RATE_LIMITED');
    // ...but the owner at home signs in.
    const owner = await login(email, password, home);
    expect(owner.errors).toBeUndefined();
    expect(owner.data!.login.user.email).toBe(email);
  });
});
