import { currencyCodeSchema, isUuid, MAX_MONEY_AMOUNT } from '@shopgraph/kit';
import { z } from 'zod';

/** Orders' and users' ids are UUIDs; anything else cannot name a payment (and never reaches SQL). */
const uuidId = z
  .string()
  .trim()
  .refine(isUuid, 'must be a UUID')
  // Canonical form: provider idempotency keys and request keys are built from it.
  .transform((id) => id.toLowerCase());

const amount = z
  .number()
  .int('must be a whole number of minor units')
  .positive('must be greater than zero')
  .max(MAX_MONEY_AMOUNT, `must be at most ${MAX_MONEY_AMOUNT}`);

const reason = z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters');

export const captureInput = z.object({
  orderId: uuidId,
  customerId: uuidId,
  amount,
  currency: currencyCodeSchema,
  paymentToken: z.string().trim().min(1, 'must not be empty').max(255, 'must be at most 255 characters'),
});
export type CaptureRequest = z.infer<typeof captureInput>;

export const cancelInput = z.object({ orderId: uuidId, reason });

export const refundInput = z.object({ orderId: uuidId, amount: amount.nullish(), reason });
