import { badInput, requireAdmin } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { checkFirst } from '../services/recommendations.service.ts';

export const Query: QueryResolvers = {
  trendingProducts: (_parent, { first, categorySlug }, ctx) => {
    if (categorySlug != null && !/^[a-z0-9-]{1,100}$/.test(categorySlug)) throw badInput('categorySlug is not a category slug', 'categorySlug');
    return ctx.recommendations.trending(checkFirst(first), categorySlug);
  },
  recommendationModel: (_parent, _args, ctx) => {
    requireAdmin(ctx);
    return ctx.learning.activeModel();
  },
};
