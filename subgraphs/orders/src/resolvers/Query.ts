import { requireAdmin, requireViewer } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { visible } from './access.ts';

export const Query: QueryResolvers = {
  order: async (_parent, { id }, ctx) => {
    requireViewer(ctx);
    return visible(ctx, await ctx.loaders.order.load(id));
  },
  orders: (_parent, args, ctx) => {
    requireAdmin(ctx);
    return ctx.orders.list(args);
  },
  cart: (_parent, _args, ctx) => ctx.carts.ofUser(requireViewer(ctx).userId),
};
