import type { ProductResolvers } from '../__generated__/resolvers-types.ts';

export const Product: ProductResolvers = {
  // Any id resolves: a product inventory has never stocked simply has 0 of everything.
  __resolveReference: ({ id }) => ({ id }),
  // Batched: every Product of one request (e.g. one `_entities` call) is loaded with one query.
  stock: (product, _args, ctx) => ctx.loaders.stockLevel.load(product.id),
  inStock: async (product, _args, ctx) => (await ctx.loaders.stockLevel.load(product.id)).available > 0,
};
