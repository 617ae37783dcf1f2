import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { ProductsForCheckoutDocument, type ProductsForCheckoutQuery } from '../__generated__/clients/products.ts';

/** A product as checkout needs it, typed by products' schema. */
export type CatalogProduct = EntityOf<ProductsForCheckoutQuery>;

/** Orders' calls to the products subgraph (operations in products.graphql, typed by `npm run codegen`). */
export interface ProductsClient {
  /** The products with these ids, in order, in one `_entities` request; null for unknown ids. */
  products(ids: readonly string[]): Promise<Array<CatalogProduct | null>>;
}

export function createProductsClient(subgraph: SubgraphClient): ProductsClient {
  return { products: (ids) => fetchEntities(subgraph, ProductsForCheckoutDocument, ids.map((id) => ({ id }))) };
}
