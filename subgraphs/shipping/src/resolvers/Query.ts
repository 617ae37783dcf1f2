import { requireInternal } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  // @inaccessible: orders calls it on this subgraph directly with its internal credential.
  shippingQuote: (_parent, args, ctx) => {
    requireInternal(ctx);
    return ctx.shipments.quote(args);
  },
};
