import { type EntityOf, fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import { ShipmentsForMessagesDocument, type ShipmentsForMessagesQuery } from '../__generated__/clients/shipping.ts';

/** An order's shipment as shipping tells it (null before one exists), typed by shipping's schema. */
export type ShipmentEntity = EntityOf<ShipmentsForMessagesQuery>;

/** Notifications' calls to the shipping subgraph (operations in shipping.graphql, typed by `npm run codegen`). */
export interface ShippingClient {
  /** The shipments of these orders, in order, in one `_entities` request. */
  shipmentsByOrderIds(orderIds: readonly string[]): Promise<Array<ShipmentEntity | null>>;
}

export function createShippingClient(subgraph: SubgraphClient): ShippingClient {
  return { shipmentsByOrderIds: (orderIds) => fetchEntities(subgraph, ShipmentsForMessagesDocument, orderIds.map((id) => ({ id }))) };
}
