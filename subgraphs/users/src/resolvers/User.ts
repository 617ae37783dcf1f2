import type { UserResolvers } from '../__generated__/resolvers-types.ts';
import { assertCanSeeUser } from './access.ts';

export const User: UserResolvers = {
  // Batched: every representation in one `_entities` call is loaded with one query.
  __resolveReference: async ({ id }, ctx) => {
    assertCanSeeUser(ctx, id);
    return ctx.loaders.user.load(id);
  },
  addresses: (user, _args, ctx) => ctx.loaders.addresses.load(user.id),
};
