import { requireAdmin } from '@shopgraph/kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';

export const Mutation: MutationResolvers = {
  createProduct: (_parent, { input }, ctx) => {
    requireAdmin(ctx);
    return ctx.catalog.createProduct(input);
  },
  updateProduct: (_parent, { id, input }, ctx) => {
    requireAdmin(ctx);
    return ctx.catalog.updateProduct(id, input);
  },
  archiveProduct: (_parent, { id }, ctx) => {
    requireAdmin(ctx);
    return ctx.catalog.archiveProduct(id);
  },
  createCategory: (_parent, { input }, ctx) => {
    requireAdmin(ctx);
    return ctx.catalog.createCategory(input);
  },
};
