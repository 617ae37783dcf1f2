import type { CartResolvers } from '../__generated__/resolvers-types.ts';

export const Cart: CartResolvers = {
  // The router brings the cart's lines (@requires); pricing keeps nothing about carts.
  __resolveReference: (reference) => ({ id: reference.id, lines: reference.lines ?? [] }),
  estimate: (cart, { country }, ctx) => ctx.quotes.estimate(cart.lines, country),
};
