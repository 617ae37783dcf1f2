import { forbidden, isUuid, notFound, optionalViewer, requireViewer, subscriptionRoot } from '@shopgraph/kit';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.ts';
import { canSee } from '../services/orders.service.ts';

/**
 * Subscriptions are authorised when they start, not per event: a customer watching someone else's order
 * is refused at once (FORBIDDEN). The router subscribes here and resolves other subgraphs' fields per event.
 */
export const Subscription: SubscriptionResolvers = {
  orderStatusChanged: {
    subscribe: async (root, { orderId }, ctx) => {
      const viewer = ctx.caller.kind === 'internal' ? null : requireViewer(ctx);
      const [order] = isUuid(orderId) ? await ctx.orders.byIds([orderId]) : [null];
      if (!order) throw notFound('Order');
      if (!canSee(optionalViewer(ctx), ctx.caller.kind === 'internal', order)) throw forbidden(viewer ? 'You may only follow your own orders' : undefined);
      return ctx.statusStreams.forOrder(order, subscriptionRoot(root).resumeAfter);
    },
  },
  myOrderUpdates: {
    subscribe: async (root, _args, ctx) => {
      const viewer = requireViewer(ctx);
      return ctx.statusStreams.forCustomer(viewer.userId, subscriptionRoot(root).resumeAfter);
    },
  },
};
