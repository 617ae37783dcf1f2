import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { ProductsForStockDocument, type ProductsForStockQuery } from '../__generated__/clients/products.ts';

/** What inventory needs to know about a product, as products' schema types it (`active` is false once archived). */
export type CatalogProduct = EntityOf<ProductsForStockQuery>;

/** Inventory's calls to the products subgraph (operations in products.graphql, typed by `npm run codegen`). */
export interface ProductsClient {
  /** The product with this id, or null when the catalog does not know it. Archived products still resolve. */
  product(productId: string): Promise<CatalogProduct | null>;
}

export function createProductsClient(subgraph: SubgraphClient): ProductsClient {
  return {
    async product(productId) {
      const [product] = await fetchEntities(subgraph, ProductsForStockDocument, [{ id: productId }]);
      return product ?? null;
    },
  };
}
