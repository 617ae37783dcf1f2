import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Variables every shopgraph service understands. Services extend this with their own. */
export const baseEnvShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
};

/** Variables of a subgraph: its port, database, Redis and the credentials it accepts. */
export const subgraphEnvShape = {
  ...baseEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535),
  DATABASE_URL: z.string().url(),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Public key (SPKI PEM) that verifies the router's identity assertions. */
  ROUTER_PUBLIC_KEY: z.string().min(1, 'is required (PEM of the router public key)'),
  /** Shared secret of internal service-to-service calls. */
  INTERNAL_SECRET: z.string().min(32, 'must be at least 32 characters'),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_000_000),
  /** Prefix of every BullMQ queue key in Redis. */
  QUEUE_PREFIX: z.string().regex(/^[\w:.-]+$/).default('shopgraph'),
};

export type EnvShape = Record<string, z.ZodType>;

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Parses `source` (default `process.env`) against `shape` and reports every problem at once.
 * A variable `X_FILE` is read from that file when `X` itself is unset (Docker secrets convention).
 * Throws {@link EnvError}; use {@link loadEnvOrExit} in a service's `main()`.
 */
export function parseEnv<S extends EnvShape>(
  shape: S,
  source: NodeJS.ProcessEnv = process.env,
  validate?: (env: z.infer<z.ZodObject<S>>) => string[],
): z.infer<z.ZodObject<S>> {
  const values: Record<string, string | undefined> = {};
  const problems: string[] = [];
  for (const key of Object.keys(shape)) {
    const raw = source[key];
    const file = source[`${key}_FILE`];
    if ((raw === undefined || raw === '') && file) {
      try {
        values[key] = readFileSync(file, 'utf8').trim();
      } catch {
        problems.push(`${key}_FILE: cannot read ${file}`);
      }
    } else {
      values[key] = raw === '' ? undefined : raw;
    }
  }
  const result = z.object(shape).safeParse(values);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.join('.') || '(env)';
      problems.push(`${key}: ${values[key] === undefined && issue.code === 'invalid_type' ? 'is required' : issue.message}`);
    }
  }
  if (result.success && validate) problems.push(...validate(result.data as z.infer<z.ZodObject<S>>));
  if (problems.length > 0) throw new EnvError(problems);
  return result.data as z.infer<z.ZodObject<S>>;
}

/** {@link parseEnv} for `main()`: prints all problems to stderr and exits with status 1. */
export function loadEnvOrExit<S extends EnvShape>(
  shape: S,
  validate?: (env: z.infer<z.ZodObject<S>>) => string[],
  source: NodeJS.ProcessEnv = process.env,
) {
  try {
    return parseEnv(shape, source, validate);
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** Problems for variables left at a well-known development default while running in production. */
export function productionDefaults(
  env: { NODE_ENV: string },
  checks: Array<[name: string, value: string | undefined, devDefault: string]>,
): string[] {
  if (env.NODE_ENV !== 'production') return [];
  return checks.filter(([, value, dev]) => value === dev).map(([name]) => `${name}: must be changed from its development default in production`);
}
