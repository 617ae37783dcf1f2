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
