import { badInput, forbidden, isUuid, notFound, optionalViewer, requireViewer, subscriptionRoot } from '@shopgraph/kit';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.ts';
import { canSee } from '../services/orders.service.ts';

/**
 * Subscriptions are authorised when they start, not per event: a customer watching someone else's order
 * is refused at once (FORBIDDEN). The router subscribes here and resolves other subgraphs' fields per event.
 */
export const Subscription: SubscriptionResolvers = {
  orderStatusChanged: {
    subscribe: async (root, { orderId, afterSequence }, ctx) => {
      const viewer = ctx.caller.kind === 'internal' ? null : requireViewer(ctx);
      if (afterSequence != null && afterSequence < 0) throw badInput('afterSequence must be 0 or more', 'afterSequence');
      const [order] = isUuid(orderId) ? await ctx.orders.byIds([orderId]) : [null];
      if (!order) throw notFound('Order');
      if (!canSee(optionalViewer(ctx), ctx.caller.kind === 'internal', order)) throw forbidden(viewer ? 'You may only follow your own orders' : undefined);
      // The router's resume cursor (after a lost connection) is newer than what the client asked for.
      const resumeAfter = subscriptionRoot(root).resumeAfter ?? (afterSequence != null ? String(afterSequence) : null);
      return ctx.statusStreams.forOrder(order, resumeAfter, afterSequence == null);
    },
  },
  myOrderUpdates: {
    subscribe: async (root, _args, ctx) => {
      const viewer = requireViewer(ctx);
      return ctx.statusStreams.forCustomer(viewer.userId, subscriptionRoot(root).resumeAfter);
    },
  },
};
