import { currencyCodeSchema, isUuid, moneyAmountSchema, requiredText } from '@shopgraph/kit';
import { z } from 'zod';
import { invoiceDetailsInput } from './invoice-details.ts';

/** Orders' and users' ids are UUIDs; anything else cannot name a payment (and never reaches SQL). */
const uuidId = z
  .string()
  .trim()
  .refine(isUuid, 'must be a UUID')
  // Canonical form: provider idempotency keys and request keys are built from it.
  .transform((id) => id.toLowerCase());

const amount = moneyAmountSchema;
const reason = requiredText(500);

export const captureInput = z.object({
  orderId: uuidId,
  customerId: uuidId,
  amount,
  currency: currencyCodeSchema,
  paymentToken: requiredText(255),
  /** What the order's invoice says; without it no invoice is issued (e.g. a payment outside checkout). */
  invoice: invoiceDetailsInput.nullish(),
});
export type CaptureRequest = z.infer<typeof captureInput>;

export const cancelInput = z.object({ orderId: uuidId, reason });

export const refundInput = z.object({ orderId: uuidId, amount: amount.nullish(), reason });
