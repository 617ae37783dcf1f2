import { requireViewer } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  register: (_parent, { input }, ctx) => ctx.users.register(input),
  login: (_parent, { email, password }, ctx) =>
    ctx.users.login(email, password, ctx.caller.kind === 'router' ? ctx.caller.clientIp : undefined),
  refreshToken: (_parent, { refreshToken }, ctx) => ctx.users.refresh(refreshToken),
  logout: (_parent, { refreshToken }, ctx) => ctx.users.logout(refreshToken),
  updateProfile: (_parent, { input }, ctx) => ctx.users.updateProfile(requireViewer(ctx).userId, input),
  addAddress: (_parent, { input }, ctx) => ctx.users.addAddress(requireViewer(ctx).userId, input),
  removeAddress: (_parent, { id }, ctx) => ctx.users.removeAddress(requireViewer(ctx).userId, id),
};
