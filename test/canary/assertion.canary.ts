import { expect, test } from 'vitest';

test('a failed assertion fails the run', () => {
  expect(1).toBe(2);
});
