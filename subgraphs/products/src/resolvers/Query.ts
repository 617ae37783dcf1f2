import { badInput, forbidden, optionalViewer } from '@shopgraph/kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.ts';

export const Query: QueryResolvers = {
  product: (_parent, { id, slug, sku }, ctx) => {
    const given = [id, slug, sku].filter((v) => v != null);
    if (given.length !== 1) throw badInput('Give exactly one of id, slug or sku');
    if (id != null) return ctx.loaders.productById.load(id);
    if (sku != null) return ctx.loaders.productBySku.load(sku);
    return ctx.catalog.productBySlug(slug!);
  },
  products: (_parent, { first, after, filter }, ctx) => {
    if (filter?.includeArchived && optionalViewer(ctx)?.role !== 'ADMIN') throw forbidden('Only admins can list archived products');
    return ctx.catalog.listProducts({ first, after, ...filter, includeArchived: filter?.includeArchived ?? false });
  },
  categories: (_parent, _args, ctx) => ctx.catalog.listCategories(),
};
