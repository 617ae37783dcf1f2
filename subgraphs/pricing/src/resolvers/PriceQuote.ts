import { money } from '@shopgraph/kit';
import type { PriceQuoteResolvers } from '../__generated__/resolvers-types.ts';

export const PriceQuote: PriceQuoteResolvers = {
  subtotal: (quote) => money(quote.subtotal, quote.currency),
  discount: (quote) => money(quote.discount, quote.currency),
  total: (quote) => money(quote.total, quote.currency),
  // Quotes stored before tax existed had none.
  totalTax: (quote) => money(quote.tax ?? 0, quote.currency),
  pricesIncludeTax: (quote) => quote.pricesIncludeTax ?? false,
  taxCountry: (quote) => quote.taxCountry ?? '',
  promotion: (quote, _args, ctx) => (quote.promotionId ? ctx.loaders.promotion.load(quote.promotionId) : null),
};
