import { forbidden, requireViewer } from '@shopgraph/kit';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';
import { checkFirst } from '../services/recommendations.service.ts';

export const User: UserResolvers = {
  __resolveReference: (ref) => ({ id: ref.id }),
  recommendedProducts: (user, { first }, ctx) => {
    const viewer = requireViewer(ctx);
    if (viewer.userId !== user.id && viewer.role !== 'ADMIN') throw forbidden('Only the customer or an admin may see their recommendations');
    return ctx.recommendations.forCustomer(user.id, checkFirst(first));
  },
};
