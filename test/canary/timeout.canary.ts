import { test } from 'vitest';

test('a test that outlives its timeout fails the run', async () => {
  await new Promise((resolve) => setTimeout(resolve, 2_000));
}, 100);
