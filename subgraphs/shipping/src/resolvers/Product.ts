import type { ProductResolvers } from '../__generated__/resolvers-types.ts';

export const Product: ProductResolvers = {
  // Shipping stores nothing per product: the reference (with its required weight) is the product.
  __resolveReference: (ref) => ref as { id: string; weightGrams?: number | null },
  shippingEstimate: async (product, { country, postalCode }, ctx) => {
    const destination = ctx.shippingRates.destination(country, postalCode);
    if (product.weightGrams == null) throw new Error('weightGrams was not provided by the router (@requires)');
    return ctx.shippingRates.estimate(await ctx.rates(), product.weightGrams, destination.country);
  },
};
