import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { OrdersForMessagesDocument, type OrdersForMessagesQuery } from '../__generated__/clients/orders.ts';

/** An order as messages describe it, typed by orders' schema. */
export type OrderEntity = EntityOf<OrdersForMessagesQuery>;

/** Notifications' calls to the orders subgraph (operations in orders.graphql, typed by `npm run codegen`). */
export interface OrdersClient {
  /** The orders with these ids, in order, in one `_entities` request; null for unknown ids. */
  ordersByIds(ids: readonly string[]): Promise<Array<OrderEntity | null>>;
}

export function createOrdersClient(subgraph: SubgraphClient): OrdersClient {
  return { ordersByIds: (ids) => fetchEntities(subgraph, OrdersForMessagesDocument, ids.map((id) => ({ id }))) };
}
