import type { ProductResolvers } from '../__generated__/resolvers-types.ts';
import { checkFirst } from '../services/recommendations.service.ts';

export const Product: ProductResolvers = {
  // Recommendations stores nothing the reference lacks: the product is its id.
  __resolveReference: (ref) => ({ id: ref.id }),
  alsoBought: (product, { first }, ctx) => ctx.loaders.alsoBought.load({ id: product.id, first: checkFirst(first) }),
  similar: (product, { first }, ctx) => ctx.loaders.similar.load({ id: product.id, first: checkFirst(first) }),
};
