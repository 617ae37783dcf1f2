import { money } from '@shopgraph/kit';
import type { QuoteLineResolvers, TaxCategory } from '../__generated__/resolvers-types.ts';

export const QuoteLine: QuoteLineResolvers = {
  product: (line) => ({ id: line.productId }),
  unitPrice: (line) => money(line.unitPrice, line.currency),
  lineTotal: (line) => money(line.lineTotal, line.currency),
  discount: (line) => money(line.discount, line.currency),
  taxCategory: (line) => (line.taxCategory ?? 'STANDARD') as TaxCategory,
  taxRate: (line) => (line.taxRate ?? 0) / 100,
  tax: (line) => money(line.tax ?? 0, line.currency),
};
