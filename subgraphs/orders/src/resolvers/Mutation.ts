import { requireViewer } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  addToCart: (_parent, args, ctx) => ctx.carts.add(requireViewer(ctx).userId, args),
  updateCartItem: (_parent, args, ctx) => ctx.carts.update(requireViewer(ctx).userId, args),
  clearCart: (_parent, _args, ctx) => ctx.carts.clear(requireViewer(ctx).userId),
  placeOrder: (_parent, { input }, ctx) => ctx.checkout.placeOrder(requireViewer(ctx).userId, input),
  cancelOrder: (_parent, { id, reason }, ctx) => ctx.orders.cancel(requireViewer(ctx), id, { reason }),
};
