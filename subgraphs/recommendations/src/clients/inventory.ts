import { fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { StockForRecommendationsDocument } from '../__generated__/clients/inventory.ts';

/** Recommendations' calls to the inventory subgraph (operations in inventory.graphql, typed by `npm run codegen`). */
export interface InventoryClient {
  /** Whether each product can be ordered, in order, in one `_entities` request (null: unknown). */
  inStock(ids: readonly string[]): Promise<Array<boolean | null>>;
}

export function createInventoryClient(subgraph: SubgraphClient): InventoryClient {
  return {
    async inStock(ids) {
      const entities = await fetchEntities(subgraph, StockForRecommendationsDocument, ids.map((id) => ({ id })));
      return entities.map((entity) => entity?.inStock ?? null);
    },
  };
}
