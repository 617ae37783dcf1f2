import { requireAdmin } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { EVENT_TYPES } from '../services/event-types.ts';

export const Query: QueryResolvers = {
  webhookEndpoints: (_root, _args, ctx) => {
    requireAdmin(ctx);
    return ctx.webhooks.list();
  },
  webhookEventTypes: () => [...EVENT_TYPES],
  notificationDeliveries: (_root, args, ctx) => {
    requireAdmin(ctx);
    return ctx.deliveries.list(args);
  },
};
