import type { CartResolvers } from '../__generated__/resolvers-types.ts';
import { assertOwnerOrAdmin } from './access.ts';

export const Cart: CartResolvers = {
  // Batched through one DataLoader; a cart is visible to its user, admins and internal services.
  __resolveReference: async ({ id }, ctx) => {
    const cart = await ctx.loaders.cart.load(id);
    if (cart) assertOwnerOrAdmin(ctx, cart.userId);
    return cart;
  },
  items: (cart) => cart.lines,
  lines: (cart) => cart.lines,
  totalQuantity: (cart) => cart.lines.reduce((sum, line) => sum + line.quantity, 0),
};
