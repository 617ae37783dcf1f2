import { requireInternal } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  // @inaccessible: orders asks before it writes an order, so an unknown token never becomes an order.
  validatePaymentToken: (_parent, { token }, ctx) => {
    requireInternal(ctx);
    return ctx.payments.isKnownToken(token);
  },
  invoicePdf: async (_parent, { orderId }, ctx) => {
    requireInternal(ctx);
    return ctx.invoices.pdfOfOrder(orderId);
  },
};
