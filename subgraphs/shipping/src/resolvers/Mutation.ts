import { requireAdmin, requireInternal } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  updateShipmentStatus: (_parent, args, ctx) => ctx.shipments.updateStatus(args, requireAdmin(ctx).userId),
  // @inaccessible: the checkout saga in orders calls these with its internal credential.
  createShipment: (_parent, { input }, ctx) => {
    requireInternal(ctx);
    return ctx.shipments.create(input);
  },
  cancelShipment: (_parent, { orderId }, ctx) => {
    requireInternal(ctx);
    return ctx.shipments.cancel(orderId);
  },
};
