/**
 * The project runs on its own Node 24 (the `node` devDependency, node_modules/.bin/node), whatever Node the
 * machine has: npm scripts put node_modules/.bin first on PATH, and vitest's workers run the binary that
 * started vitest.
 */
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pinned = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));

describe('runtime', () => {
  it('is Node 24 or newer', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it.runIf(existsSync(pinned))('is the project-pinned binary when one is installed', () => {
    expect(realpathSync(process.execPath)).toBe(realpathSync(pinned));
  });
});
