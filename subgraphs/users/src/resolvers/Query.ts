import { optionalViewer, requireAdmin, requireViewer } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { assertCanSeeUser } from './access.ts';

export const Query: QueryResolvers = {
  me: (_parent, _args, ctx) => {
    const viewer = optionalViewer(ctx);
    return viewer ? ctx.loaders.user.load(viewer.userId) : null;
  },
  user: async (_parent, { id }, ctx) => {
    requireViewer(ctx);
    assertCanSeeUser(ctx, id);
    return ctx.loaders.user.load(id);
  },
  users: (_parent, args, ctx) => {
    requireAdmin(ctx);
    return ctx.users.list(args);
  },
};
