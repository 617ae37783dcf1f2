import { fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { PricesForRecommendationsDocument } from '../__generated__/clients/pricing.ts';

/** Recommendations' calls to the pricing subgraph (operations in pricing.graphql, typed by `npm run codegen`). */
export interface PricingClient {
  /** Current unit price of each product in minor units, in order (null: no price), in one `_entities` request. */
  prices(ids: readonly string[]): Promise<Array<number | null>>;
}

export function createPricingClient(subgraph: SubgraphClient): PricingClient {
  return {
    async prices(ids) {
      const entities = await fetchEntities(subgraph, PricesForRecommendationsDocument, ids.map((id) => ({ id })));
      return entities.map((entity) => entity?.price?.amount ?? null);
    },
  };
}
