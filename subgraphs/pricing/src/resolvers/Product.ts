import { ErrorCode, money, requireAdmin, userError } from '@shopgraph/kit';
import type { ProductResolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import type { ProductRef } from '../services/prices.service.ts';

const shownPrice = (product: ProductRef, ctx: Context) =>
  ctx.loaders.displayPrice.load({ productId: product.id, categoryId: product.category?.id ?? null });

export const Product: ProductResolvers = {
  // No lookup here: prices load per field through one DataLoader, so a batch of representations costs one query.
  __resolveReference: (reference) => ({ id: reference.id, category: reference.category ?? null }),
  price: async (product, _args, ctx) => {
    const shown = await shownPrice(product, ctx);
    if (!shown) throw userError(ErrorCode.NOT_FOUND, `Product "${product.id}" has no price`, { productId: product.id });
    return money(shown.amount, shown.currency);
  },
  compareAtPrice: async (product, _args, ctx) => {
    const shown = await shownPrice(product, ctx);
    return shown?.compareAt != null ? money(shown.compareAt, shown.currency) : null;
  },
  taxCategory: (product, _args, ctx) => ctx.loaders.taxCategory.load(product.id),
  priceHistory: (product, args, ctx) => {
    requireAdmin(ctx);
    return ctx.prices.history(product.id, args);
  },
};
