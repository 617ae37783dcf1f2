import { money, requireAdmin, requireInternal } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  setPrice: async (_parent, args, ctx) => {
    const admin = requireAdmin(ctx);
    const price = await ctx.prices.setPrice(args, admin.userId);
    return money(price.amount, price.currency);
  },
  setTaxCategory: (_parent, args, ctx) => ctx.taxCategories.set(args, requireAdmin(ctx).userId),
  createPromotion: (_parent, { input }, ctx) => ctx.promotions.create(input, requireAdmin(ctx).userId),
  endPromotion: (_parent, { id }, ctx) => {
    requireAdmin(ctx);
    return ctx.promotions.end(id);
  },
  // @inaccessible: orders calls it on this subgraph directly with its internal credential.
  checkoutQuote: (_parent, args, ctx) => ctx.quotes.checkoutQuote(args, requireInternal(ctx)),
  releaseRedemption: (_parent, { orderId, discardQuote }, ctx) => {
    requireInternal(ctx);
    return ctx.redemptions.release(orderId, discardQuote ?? false);
  },
};
