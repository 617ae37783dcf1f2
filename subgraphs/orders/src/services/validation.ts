import { isCountryCode } from '@shopgraph/kit';
import { z } from 'zod';

export const MAX_QUANTITY = 1000;
export const MAX_LINES = 100;

/** An opaque id of another subgraph's entity. */
export const entityId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

export const quantity = z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`);

const line = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const optionalLine = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((s) => (s ? s : null));

export const shippingAddressSchema = z.object({
  recipientName: optionalLine(100),
  line1: line(200),
  line2: optionalLine(200),
  city: line(100),
  region: optionalLine(100),
  postalCode: line(20),
  country: z
    .string()
    .trim()
    .transform((s) => s.toUpperCase())
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code, e.g. DE'),
});

/** Merges lines of the same product (first appearance keeps its place). */
export function mergeLines(items: Array<{ productId: string; quantity: number }>): Array<{ productId: string; quantity: number }> {
  const merged = new Map<string, number>();
  for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}
