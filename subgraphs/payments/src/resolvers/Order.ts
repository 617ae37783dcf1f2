import type { OrderResolvers } from '../__generated__/resolvers-types.ts';
import { canSeePayment } from './access.ts';

export const Order: OrderResolvers = {
  // No lookup here: `payment` loads through one DataLoader, so a batch of representations costs one query.
  __resolveReference: ({ id }) => ({ id }),
  // Someone else's payment is simply absent, like an order without one: no error tells them it exists.
  payment: async (order, _args, ctx) => {
    const payment = await ctx.loaders.paymentOfOrder.load(order.id);
    return payment && canSeePayment(ctx, payment) ? payment : null;
  },
  invoice: async (order, _args, ctx) => {
    const invoice = await ctx.loaders.invoiceOfOrder.load(order.id);
    return invoice && canSeePayment(ctx, invoice) ? invoice : null;
  },
};
