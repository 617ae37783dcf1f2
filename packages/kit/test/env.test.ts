import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvError, parseEnv, productionDefaults, subgraphEnvShape } from '../src/env.ts';

describe('parseEnv', () => {
  it('reports every problem at once', () => {
    let error: unknown;
    try {
      parseEnv(subgraphEnvShape, { PORT: 'eighty', INTERNAL_SECRET: 'short', NODE_ENV: 'staging' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const problems = (error as EnvError).problems.join('\n');
    for (const key of ['PORT', 'DATABASE_URL', 'ROUTER_PUBLIC_KEY', 'INTERNAL_SECRET', 'NODE_ENV']) expect(problems).toContain(key);
    expect((error as EnvError).problems.length).toBeGreaterThanOrEqual(5);
  });

  it('applies defaults and coerces numbers', () => {
    const env = parseEnv({ PORT: z.coerce.number().default(4001), NAME: z.string().default('x') }, { PORT: '4100' });
    expect(env).toEqual({ PORT: 4100, NAME: 'x' });
  });

  it('reads X from the file named by X_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'env-'));
    writeFileSync(join(dir, 'secret'), 'from-a-file\n');
    expect(parseEnv({ SECRET: z.string() }, { SECRET_FILE: join(dir, 'secret') })).toEqual({ SECRET: 'from-a-file' });
    expect(() => parseEnv({ SECRET: z.string() }, { SECRET_FILE: join(dir, 'missing') })).toThrow(/SECRET_FILE/);
  });

  it('runs the extra validation and flags development defaults in production only', () => {
    const shape = { NODE_ENV: z.string(), ADMIN_PASSWORD: z.string() };
    const check = (e: { NODE_ENV: string; ADMIN_PASSWORD: string }) => productionDefaults(e, [['ADMIN_PASSWORD', e.ADMIN_PASSWORD, 'dev']]);
    expect(() => parseEnv(shape, { NODE_ENV: 'production', ADMIN_PASSWORD: 'dev' }, check)).toThrow(/ADMIN_PASSWORD/);
    expect(parseEnv(shape, { NODE_ENV: 'development', ADMIN_PASSWORD: 'dev' }, check).ADMIN_PASSWORD).toBe('dev');
  });
});
