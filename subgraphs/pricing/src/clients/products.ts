import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import {
  CategoriesForPricingDocument,
  type CategoriesForPricingQuery,
  ProductsForPricingDocument,
  type ProductsForPricingQuery,
} from '../__generated__/clients/products.ts';

/** What pricing needs to know about a product, as products' schema types it. */
export type CatalogProduct = EntityOf<ProductsForPricingQuery>;
export type CatalogCategory = EntityOf<CategoriesForPricingQuery>;

/**
 * Pricing's calls to the products subgraph (operations in products.graphql, typed by `npm run codegen`): whether
 * products and categories exist, one `_entities` request per call.
 */
export interface ProductsClient {
  /** The products with these ids, in order; null for unknown ids. */
  productsByIds(ids: readonly string[]): Promise<Array<CatalogProduct | null>>;
  /** The categories with these ids, in order; null for unknown ids. */
  categoriesByIds(ids: readonly string[]): Promise<Array<CatalogCategory | null>>;
}

export function createProductsClient(subgraph: SubgraphClient): ProductsClient {
  return {
    productsByIds: (ids) => fetchEntities(subgraph, ProductsForPricingDocument, ids.map((id) => ({ id }))),
    categoriesByIds: (ids) => fetchEntities(subgraph, CategoriesForPricingDocument, ids.map((id) => ({ id }))),
  };
}
