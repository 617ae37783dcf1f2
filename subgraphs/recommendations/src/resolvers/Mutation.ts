import { requireAdmin, requireViewer } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  recordProductView: async (_parent, { productId }, ctx) => {
    await ctx.recommendations.recordView(requireViewer(ctx).userId, productId);
    return true;
  },
  retrainRecommendations: (_parent, _args, ctx) => {
    requireAdmin(ctx);
    return ctx.training.request(ctx.learning);
  },
  importPurchaseHistory: (_parent, { lines }, ctx) => {
    requireAdmin(ctx);
    return ctx.learning.importHistory(lines);
  },
};
