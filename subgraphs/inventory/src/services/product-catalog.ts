import { fetchEntities, type SubgraphClient } from '@shopgraph/kit';

/** What inventory needs to know about a product from the products subgraph. */
export interface CatalogProduct {
  id: string;
  /** False once archived; archived products still resolve by id. */
  active: boolean;
}

/** Looks products up in the products subgraph. */
export interface ProductCatalog {
  /** The product with this id, or null when the catalog does not know it. */
  find(productId: string): Promise<CatalogProduct | null>;
}

/** A catalog that asks the products subgraph through `_entities` with this service's internal credential. */
export function productCatalog(client: SubgraphClient): ProductCatalog {
  return {
    async find(productId) {
      const [product] = await fetchEntities<CatalogProduct>(client, 'Product', [{ id: productId }], 'id active');
      return product ?? null;
    },
  };
}
