import { money } from '@shopgraph/kit';
import type { OrderItemResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';

/** Items carry no currency of their own: it is their order's (loaded in the same request). */
const currencyOf = async (orderId: string, ctx: Context) => (await ctx.loaders.order.load(orderId))!.currency;

export const OrderItem: OrderItemResolvers = {
  product: (item) => ({ id: item.productId }),
  unitPrice: async (item, _args, ctx) => money(item.unitPrice, await currencyOf(item.orderId, ctx)),
  lineTotal: async (item, _args, ctx) => money(item.lineTotal, await currencyOf(item.orderId, ctx)),
  discount: async (item, _args, ctx) => money(item.discount, await currencyOf(item.orderId, ctx)),
  tax: async (item, _args, ctx) => money(item.tax, await currencyOf(item.orderId, ctx)),
  taxRate: (item) => item.taxRate / 100,
};
