import { decodeTimeIdCursor, isCurrencyCode } from '@shopgraph/kit';
import { z } from 'zod';

/** The largest amount a GraphQL `Int` (and so `Money.amount`) can carry. */
export const MAX_AMOUNT = 2_147_483_647;

/** An ISO 4217 code; lower case is accepted and upper-cased. */
export const currencyCode = z
  .string()
  .trim()
  .transform((s) => s.toUpperCase())
  .refine(isCurrencyCode, 'must be an ISO 4217 currency code, e.g. EUR');

/** A positive integer number of minor units that fits in `Money.amount`. */
export const positiveAmount = z
  .number()
  .int('must be an integer number of minor units')
  .positive('must be greater than zero')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);

/** An opaque id of another subgraph's entity. */
export const entityId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const isUniqueViolation = (error: unknown) =>
  (error as { code?: string })?.code === '23505' || (error as { cause?: { code?: string } })?.cause?.code === '23505';

/** Decodes a `[timestamp, uuid]` page cursor (BAD_USER_INPUT through `pageArgs` when malformed). */
export function decodeTimeUuidCursor(parts: unknown[]): { createdAt: Date; id: string } {
  const cursor = decodeTimeIdCursor(parts);
  if (!isUuid(cursor.id)) throw new Error('bad cursor');
  return cursor;
}
