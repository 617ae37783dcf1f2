import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

/** The products subgraph's variables, on top of every subgraph's. */
export const productsEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4002),
};

export type ProductsEnv = z.infer<z.ZodObject<typeof productsEnvShape>>;
