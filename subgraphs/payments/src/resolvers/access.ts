import { optionalViewer } from '@shopgraph/kit';
import type { Context } from '../context.ts';
import type { PaymentRow } from '../db/schema.ts';

/** A payment (or an invoice) is visible to its order's customer, to admins, and to internal services. */
export function canSeePayment(ctx: Context, payment: Pick<PaymentRow, 'customerId'>): boolean {
  if (ctx.caller.kind === 'internal') return true;
  const viewer = optionalViewer(ctx);
  return !!viewer && (viewer.role === 'ADMIN' || viewer.userId.toLowerCase() === payment.customerId);
}
