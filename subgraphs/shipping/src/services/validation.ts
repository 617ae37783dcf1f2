import { z } from 'zod';

/** An opaque id of another subgraph's entity (order, customer, product). */
export const entityId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/** Text that must be given: trimmed, 1 to `max` characters. */
export const requiredText = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

/** Text that may be left out: trimmed, at most `max` characters; blank becomes null. */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((value) => value || null);
