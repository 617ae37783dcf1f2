import { optionalText, postalAddressSchema } from '@shopgraph/kit';
import { z } from 'zod';

export const MAX_QUANTITY = 1000;
export const MAX_LINES = 100;

/** An opaque id of another subgraph's entity. */
export const entityId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

export const quantity = z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_QUANTITY, `must be at most ${MAX_QUANTITY}`);

/** Where an order goes: a postal address and, optionally, who receives it. */
export const shippingAddressSchema = postalAddressSchema.extend({ recipientName: optionalText(100) });

/** Merges lines of the same product (first appearance keeps its place). */
export function mergeLines(items: Array<{ productId: string; quantity: number }>): Array<{ productId: string; quantity: number }> {
  const merged = new Map<string, number>();
  for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}
