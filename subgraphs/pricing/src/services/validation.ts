import { MAX_MONEY_AMOUNT } from '@shopgraph/kit';
import { z } from 'zod';

/** The largest amount a GraphQL `Int` (and so `Money.amount`) can carry. */
export const MAX_AMOUNT = MAX_MONEY_AMOUNT;

/** A positive integer number of minor units that fits in `Money.amount`. */
export const positiveAmount = z
  .number()
  .int('must be an integer number of minor units')
  .positive('must be greater than zero')
  .max(MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);

/** An opaque id of another subgraph's entity. */
export const entityId = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
