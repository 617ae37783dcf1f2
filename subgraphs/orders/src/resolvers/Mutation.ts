import { requireViewer } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  // Writes for a customer first check that their account still exists (a deleted account's token is still signed).
  addToCart: async (_parent, args, ctx) => ctx.carts.add(await ctx.accounts.requireViewer(ctx), args),
  updateCartItem: async (_parent, args, ctx) => ctx.carts.update(await ctx.accounts.requireViewer(ctx), args),
  clearCart: async (_parent, _args, ctx) => ctx.carts.clear(await ctx.accounts.requireViewer(ctx)),
  placeOrder: async (_parent, { input }, ctx) => ctx.checkout.placeOrder(await ctx.accounts.requireViewer(ctx), input),
  cancelOrder: (_parent, { id, reason }, ctx) => ctx.orders.cancel(requireViewer(ctx), id, { reason }),
};
