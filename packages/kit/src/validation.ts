import { z } from 'zod';
import { isCountryCode } from './countries.ts';

/** zod building blocks for values every subgraph validates alike at its edge. */

/** Trimmed text of 1..`max` characters. */
export const requiredText = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Trimmed text of at most `max` characters; empty or missing becomes null. */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((s) => (s ? s : null));

/** An ISO 3166-1 alpha-2 country code; lower case is accepted and upper-cased. */
export const countryCodeSchema = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code, e.g. DE');

/** A postal address (the GraphQL `Address` fields). */
export const postalAddressSchema = z.object({
  line1: requiredText(200),
  line2: optionalText(200),
  city: requiredText(100),
  region: optionalText(100),
  postalCode: requiredText(20),
  country: countryCodeSchema,
});

/** Where a parcel goes: a postal address and, optionally, who receives it (orders and shipping). */
export const deliveryAddressSchema = postalAddressSchema.extend({ recipientName: optionalText(100) });
export type DeliveryAddress = z.output<typeof deliveryAddressSchema>;

/** An opaque id of another subgraph's entity (product, order, customer). */
export const entityIdSchema = requiredText(100);

/** Limits of one order, cart or quote (DESIGN.md): distinct products, and units of one product. */
export const MAX_LINE_ITEMS = 100;
export const MAX_ITEM_QUANTITY = 1000;

/** Units of one product in a line: a whole number, 1..{@link MAX_ITEM_QUANTITY}. */
export const itemQuantitySchema = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(MAX_ITEM_QUANTITY, `must be at most ${MAX_ITEM_QUANTITY}`);

export interface LineItem {
  productId: string;
  quantity: number;
}

/** One line per product with the quantities summed; the first appearance keeps its place. */
export function mergeLineItems(items: readonly LineItem[]): LineItem[] {
  const merged = new Map<string, number>();
  for (const { productId, quantity } of items) merged.set(productId, (merged.get(productId) ?? 0) + quantity);
  return [...merged].map(([productId, quantity]) => ({ productId, quantity }));
}
