import { forbidden, optionalViewer } from '@shopgraph/kit';
import type { UserResolvers } from '../__generated__/resolvers-types.ts';

export const User: UserResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  // Batched: the preferences of every User of one request in one query. The user themself, admins, internal services.
  notificationPreferences: (user, _args, ctx) => {
    const viewer = optionalViewer(ctx);
    if (ctx.caller.kind !== 'internal' && !(viewer && (viewer.role === 'ADMIN' || viewer.userId === user.id))) {
      throw forbidden('You may only read your own notification preferences');
    }
    return ctx.loaders.preferences.load(user.id);
  },
};
