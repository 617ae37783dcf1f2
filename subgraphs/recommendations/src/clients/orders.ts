import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { OrdersForRecommendationsDocument, type OrdersForRecommendationsQuery } from '../__generated__/clients/orders.ts';

/** A paid order as recommendations learns from it: who bought what, when. */
export type OrderEntity = EntityOf<OrdersForRecommendationsQuery>;

/** Recommendations' calls to the orders subgraph (operations in orders.graphql, typed by `npm run codegen`). */
export interface OrdersClient {
  /** The order with this id, or null when orders does not know it. */
  order(id: string): Promise<OrderEntity | null>;
}

export function createOrdersClient(subgraph: SubgraphClient): OrdersClient {
  return {
    async order(id) {
      const [order] = await fetchEntities(subgraph, OrdersForRecommendationsDocument, [{ id }]);
      return order ?? null;
    },
  };
}
