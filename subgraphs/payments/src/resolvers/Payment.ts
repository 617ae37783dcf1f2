import { money } from '@shopgraph/kit';
import type { PaymentResolvers } from '../__generated__/resolvers-types.ts';

export const Payment: PaymentResolvers = {
  amount: (payment) => money(payment.amount, payment.currency),
  capturedAmount: (payment) => money(payment.capturedAmount, payment.currency),
  refundedAmount: (payment) => money(payment.refundedAmount, payment.currency),
  method: (payment) => (payment.cardBrand && payment.cardLast4 ? { brand: payment.cardBrand, last4: payment.cardLast4 } : null),
  refunds: (payment, _args, ctx) => ctx.loaders.refunds.load(payment.id),
};
