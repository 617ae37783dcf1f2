import { money } from '@shopgraph/kit';
import type { QuoteLineResolvers } from '../__generated__/resolvers-types.ts';

export const QuoteLine: QuoteLineResolvers = {
  product: (line) => ({ id: line.productId }),
  unitPrice: (line) => money(line.unitPrice, line.currency),
  lineTotal: (line) => money(line.lineTotal, line.currency),
  discount: (line) => money(line.discount, line.currency),
};
