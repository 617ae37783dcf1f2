import type { CategoryResolvers } from '../__generated__/resolvers-types.ts';

export const Category: CategoryResolvers = {
  __resolveReference: ({ id }, ctx) => ctx.loaders.categoryById.load(id),
  parent: (category, _args, ctx) => (category.parentId ? ctx.loaders.categoryById.load(category.parentId) : null),
  products: (category, { first, after }, ctx) => ctx.catalog.listProducts({ first, after, categoryId: category.id }),
};
