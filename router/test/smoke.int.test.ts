import { gql } from '@shopgraph/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUserInput, REGISTER, startStack, type TestStack } from '../../test/support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.stop());

describe('smoke', () => {
  it('registers and reads me through the router', async () => {
    const input = newUserInput();
    const registered = await gql(stack.url, REGISTER, { input });
    expect(registered.errors).toBeUndefined();
    const token = registered.data!.register.accessToken;
    const me = await gql(stack.url, '{ me { email role } }', {}, { token });
    expect(me.data).toEqual({ me: { email: input.email, role: 'CUSTOMER' } });
  });
});
