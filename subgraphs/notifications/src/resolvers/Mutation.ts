import { requireAdmin, requireViewer } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  updateNotificationPreferences: (_root, { input }, ctx) => ctx.preferences.update(requireViewer(ctx).userId, input),
  createWebhookEndpoint: (_root, { url, events }, ctx) => {
    requireAdmin(ctx);
    return ctx.webhooks.create(url, events);
  },
  deleteWebhookEndpoint: (_root, { id }, ctx) => {
    requireAdmin(ctx);
    return ctx.webhooks.delete(id);
  },
  resendNotification: (_root, { id }, ctx) => {
    requireAdmin(ctx);
    return ctx.deliveries.resend(id);
  },
};
