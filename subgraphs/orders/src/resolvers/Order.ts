import { money } from '@shopgraph/kit';
import type { OrderResolvers } from '../__generated__/resolvers-types.ts';
import { visible } from './access.ts';

export const Order: OrderResolvers = {
  // Batched: every Order of one `_entities` call is loaded with one query. Others' orders resolve to null.
  __resolveReference: async ({ id }, ctx) => visible(ctx, await ctx.loaders.order.load(id)),
  customer: (order) => ({ id: order.customerId }),
  items: (order, _args, ctx) => {
    // The items' prices are in the order's currency: let them find the order without another query.
    ctx.loaders.order.prime(order.id, order);
    return ctx.loaders.items.load(order.id);
  },
  subtotal: (order) => money(order.subtotal, order.currency),
  discount: (order) => money(order.discount, order.currency),
  shippingCost: (order) => money(order.shippingCost, order.currency),
  total: (order) => money(order.total, order.currency),
  totalTax: (order) => money(order.tax, order.currency),
  // As of the order row this answer shows: a change committed between reading the row and its history would
  // otherwise appear in the history but not in `status` (a client following from the history would skip it).
  statusHistory: async (order, _args, ctx) => (await ctx.loaders.history.load(order.id)).filter((change) => change.sequence <= order.statusSeq),
};
