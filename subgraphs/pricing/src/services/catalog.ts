import { fetchEntities, type SubgraphClient } from '@shopgraph/kit';

/** What pricing needs to know about a product, as products tells it. */
export interface CatalogProduct {
  id: string;
  active: boolean;
  category: { id: string } | null;
}

/**
 * Pricing's view of the catalog: it asks the products subgraph (through `_entities`, one request per call)
 * whether products and categories exist. Pricing never stores catalog data.
 */
export class Catalog {
  constructor(private readonly products: SubgraphClient) {}

  /** The products with these ids, in order; null for unknown ids. */
  productsByIds(ids: readonly string[]): Promise<Array<CatalogProduct | null>> {
    return fetchEntities<CatalogProduct>(this.products, 'Product', ids.map((id) => ({ id })), 'id active category { id }');
  }

  /** The categories with these ids, in order; null for unknown ids. */
  categoriesByIds(ids: readonly string[]): Promise<Array<{ id: string } | null>> {
    return fetchEntities<{ id: string }>(this.products, 'Category', ids.map((id) => ({ id })), 'id');
  }
}
