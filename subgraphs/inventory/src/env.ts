import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

/** The inventory subgraph's variables, on top of every subgraph's. */
export const inventoryEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4003),
  /** The products subgraph, asked (internally, through `_entities`) whether a product exists. */
  PRODUCTS_URL: z.string().url().default('http://127.0.0.1:4002/graphql'),
  PRODUCTS_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** How often overdue reservations are looked for, in case an expiry job was never enqueued. */
  RESERVATION_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3_600).default(60),
  /** Expiry jobs processed in parallel per replica. */
  EXPIRY_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(5),
};

export type InventoryEnv = z.infer<z.ZodObject<typeof inventoryEnvShape>>;
