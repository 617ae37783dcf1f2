import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

const url = (port: number) => z.string().url().default(`http://127.0.0.1:${port}/graphql`);
const flag = (fallback: 'true' | 'false') => z.enum(['true', 'false']).default(fallback).transform((v) => v === 'true');

/** The recommendations subgraph's variables, on top of every subgraph's. */
export const recommendationsEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4009),
  /** Subgraphs recommendations calls: products (catalog, archived), inventory (in stock), pricing (price bands), orders (what a paid order contained). */
  PRODUCTS_URL: url(4002),
  INVENTORY_URL: url(4003),
  PRICING_URL: url(4004),
  ORDERS_URL: url(4005),
  INTERNAL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Run the BullMQ workers (order events, training) in this process. */
  RECOMMENDATIONS_WORKERS: flag('true'),
  /** Minutes between scheduled trainings; 0 turns the schedule off (the admin mutation still trains). */
  RETRAIN_INTERVAL_MINUTES: z.coerce.number().int().min(0).max(10_080).default(360),
  /** Half-life of a sale's weight in trending, in days. */
  TRENDING_HALF_LIFE_DAYS: z.coerce.number().min(0.1).max(365).default(7),
  /** Categories (slugs, comma-separated) whose products are bought again: recommended even to customers who bought them. */
  CONSUMABLE_CATEGORY_SLUGS: z
    .string()
    .default('beauty')
    .transform((v) => new Set(v.split(',').map((s) => s.trim()).filter(Boolean))),
};

export type RecommendationsEnv = z.infer<z.ZodObject<typeof recommendationsEnvShape>>;
