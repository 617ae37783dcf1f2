import type { ProductResolvers } from '../__generated__/resolvers-types.ts';

export const Product: ProductResolvers = {
  // Batched per request: one query for every id (or sku) representation of an `_entities` call.
  __resolveReference: (ref, ctx) => ('id' in ref && ref.id ? ctx.loaders.productById.load(ref.id) : ctx.loaders.productBySku.load((ref as { sku: string }).sku)),
  category: (product, _args, ctx) => (product.categoryId ? ctx.loaders.categoryById.load(product.categoryId) : null),
};
