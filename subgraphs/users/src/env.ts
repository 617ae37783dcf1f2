import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

export const DEV_ADMIN_PASSWORD = 'admin-password-change-me';

/** The users subgraph's variables, on top of every subgraph's. */
export const usersEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  ADMIN_EMAIL: z.string().email().default('admin@example.com'),
  ADMIN_PASSWORD: z.string().min(10, 'must be at least 10 characters').default(DEV_ADMIN_PASSWORD),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  SIGNING_KEY_ROTATION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  JWT_ISSUER: z.string().default('shopgraph-users'),
  JWT_AUDIENCE: z.string().default('shopgraph'),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().positive().default(900),
  LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP: z.coerce.number().int().positive().default(10),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().positive().default(100),
  LOGIN_KNOWN_ADDRESS_DAYS: z.coerce.number().int().positive().max(3650).default(90),
  LOGIN_MAX_ATTEMPTS_PER_IP: z.coerce.number().int().positive().default(100),
};

export type UsersEnv = z.infer<z.ZodObject<typeof usersEnvShape>>;
