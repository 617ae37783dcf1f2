import { money } from '@shopgraph/kit';
import type { RefundResolvers } from '../__generated__/resolvers-types.ts';

export const Refund: RefundResolvers = {
  amount: (refund) => money(refund.amount, refund.currency),
};
