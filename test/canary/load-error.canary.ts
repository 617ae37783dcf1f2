import { test } from 'vitest';

// A file that cannot even load fails the run although none of its tests ran.
throw new Error('canary: this test file fails as it loads');

test('never collected', () => {});
