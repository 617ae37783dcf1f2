import { requireAdmin, requireInternal } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  refundPayment: (_parent, args, ctx) => ctx.payments.refund(args, `user:${requireAdmin(ctx).userId}`),
  // @inaccessible: the checkout saga in orders calls these on this subgraph directly with its internal credential.
  capturePayment: (_parent, { input }, ctx) => ctx.payments.capture(input, `service:${requireInternal(ctx)}`),
  cancelPayment: (_parent, args, ctx) => ctx.payments.cancel(args, `service:${requireInternal(ctx)}`),
};
