import { money } from '@shopgraph/kit';
import type { PriceChangeResolvers } from '../__generated__/resolvers-types.ts';

export const PriceChange: PriceChangeResolvers = {
  previousPrice: (change) => (change.previousAmount !== null && change.previousCurrency ? money(change.previousAmount, change.previousCurrency) : null),
  previousCompareAtPrice: (change) =>
    change.previousCompareAtAmount !== null && change.previousCurrency ? money(change.previousCompareAtAmount, change.previousCurrency) : null,
  price: (change) => money(change.amount, change.currency),
  compareAtPrice: (change) => (change.compareAtAmount !== null ? money(change.compareAtAmount, change.currency) : null),
  changedBy: (change) => (change.changedBy ? { id: change.changedBy } : null),
};
