import { notFound } from '@shopgraph/kit';
import type { OrderStatusEventResolvers } from '../__generated__/resolvers-types.ts';

export const OrderStatusEvent: OrderStatusEventResolvers = {
  // The order as of this change, read once for all of this process's subscribers of the event.
  order: async (event, _args, ctx) => {
    const order = await ctx.statusStreams.orderAsOf(event.orderId, event.sequence);
    if (!order) throw notFound('Order');
    ctx.loaders.order.prime(order.id, order);
    return order;
  },
};
