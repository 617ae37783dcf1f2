import { requireAdmin } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  quote: (_parent, { items, promoCode, country }, ctx) => ctx.quotes.quote({ items, promoCode, country }),
  promotions: (_parent, args, ctx) => {
    requireAdmin(ctx);
    return ctx.promotions.list(args);
  },
};
