import { requireAdmin, requireInternal } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  adjustStock: (_parent, args, ctx) => ctx.stock.adjust(requireAdmin(ctx).userId, args),
  reserveStock: (_parent, args, ctx) => {
    requireInternal(ctx);
    return ctx.reservations.reserve(args);
  },
  commitReservation: (_parent, { orderId }, ctx) => {
    requireInternal(ctx);
    return ctx.reservations.commit(orderId);
  },
  releaseReservation: (_parent, { orderId }, ctx) => {
    requireInternal(ctx);
    return ctx.reservations.release(orderId);
  },
};
