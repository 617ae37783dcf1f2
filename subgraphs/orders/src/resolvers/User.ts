import type { UserResolvers } from '../__generated__/resolvers-types.ts';
import { assertOwnerOrAdmin } from './access.ts';

export const User: UserResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  orders: (user, args, ctx) => {
    assertOwnerOrAdmin(ctx, user.id);
    return ctx.orders.list({ ...args, customerId: user.id });
  },
  cart: (user, _args, ctx) => {
    assertOwnerOrAdmin(ctx, user.id);
    return ctx.carts.ofUser(user.id);
  },
};
