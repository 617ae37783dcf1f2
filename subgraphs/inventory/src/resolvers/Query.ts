import { requireAdmin, requireInternal } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  stockMovements: (_parent, { productId, first, after }, ctx) => {
    requireAdmin(ctx);
    return ctx.stock.movements(productId, { first, after });
  },
  reservation: (_parent, { orderId }, ctx) => {
    requireInternal(ctx);
    return ctx.reservations.find(orderId);
  },
};
