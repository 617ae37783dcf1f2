import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { CatalogPageDocument, type CatalogPageQuery, ProductsForRecommendationsDocument, type ProductsForRecommendationsQuery } from '../__generated__/clients/products.ts';

/** What recommendations asks products about a candidate: is it listed (`active`), and in which category. */
export type ProductFacts = EntityOf<ProductsForRecommendationsQuery>;

/** One product of the catalog, as the content model reads it. */
export interface CatalogEntry {
  id: string;
  name: string;
  description: string | null;
  categorySlug: string | null;
}

/** Recommendations' calls to the products subgraph (operations in products.graphql, typed by `npm run codegen`). */
export interface ProductsClient {
  /** Facts of these products, in order, in one `_entities` request; null for unknown ids. */
  facts(ids: readonly string[]): Promise<Array<ProductFacts | null>>;
  /** Every listed product, read page by page. */
  catalog(): Promise<CatalogEntry[]>;
}

export function createProductsClient(subgraph: SubgraphClient): ProductsClient {
  return {
    facts: (ids) => fetchEntities(subgraph, ProductsForRecommendationsDocument, ids.map((id) => ({ id }))),
    async catalog() {
      const entries: CatalogEntry[] = [];
      let after: string | null = null;
      for (;;) {
        const { products }: CatalogPageQuery = await subgraph.request(CatalogPageDocument, { first: 100, after });
        for (const { node } of products.edges) entries.push({ id: node.id, name: node.name, description: node.description ?? null, categorySlug: node.category?.slug ?? null });
        if (!products.pageInfo.hasNextPage || !products.pageInfo.endCursor) return entries;
        after = products.pageInfo.endCursor;
      }
    },
  };
}
