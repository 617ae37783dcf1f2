import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

/** The payments subgraph's variables, on top of every subgraph's. */
export const paymentsEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4006),
  /** Which adapter talks to the payment provider (see src/providers/). Only the sandbox ships. */
  PAYMENT_PROVIDER: z.enum(['sandbox']).default('sandbox'),
  /** Connections of the sandbox provider's own pool (it stands in for a remote service). */
  SANDBOX_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
};

export type PaymentsEnv = z.infer<z.ZodObject<typeof paymentsEnvShape>>;
