import type { SubgraphClient } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import { createOrdersClient, type OrderEntity } from '../clients/orders.ts';
import { createShippingClient, type ShipmentEntity } from '../clients/shipping.ts';
import { type CustomerEntity, createUsersClient } from '../clients/users.ts';
import type { OrderView } from './templates.ts';

/**
 * What messages say about an order, read from the subgraphs that own it with notifications' internal
 * credential: the customer (users), the order with its lines, totals and address (orders; product names are
 * the ones the order snapshotted when it was placed), and the shipment's tracking number (shipping).
 * Concurrent jobs share one `_entities` request per subgraph (DataLoader batching, no caching: status
 * changes must be read fresh).
 */

const BATCH_WINDOW_MS = 5;

export interface OrderFacts {
  customer: CustomerEntity | null;
  order: OrderEntity;
  shipment: ShipmentEntity['shipment'];
}

export class OrderData {
  private readonly orders: DataLoader<string, OrderEntity | null>;
  private readonly users: DataLoader<string, CustomerEntity | null>;
  private readonly shipments: DataLoader<string, ShipmentEntity | null>;

  constructor(clients: { users: SubgraphClient; orders: SubgraphClient; shipping: SubgraphClient }) {
    const loader = <T>(batch: (ids: readonly string[]) => Promise<Array<T | null>>) =>
      new DataLoader<string, T | null>(batch, {
        cache: false,
        maxBatchSize: 100,
        // Jobs reach this point at slightly different times: a short window gathers them into one request.
        batchScheduleFn: (callback) => setTimeout(callback, BATCH_WINDOW_MS),
      });
    this.orders = loader(createOrdersClient(clients.orders).ordersByIds);
    this.users = loader(createUsersClient(clients.users).customersByIds);
    this.shipments = loader(createShippingClient(clients.shipping).shipmentsByOrderIds);
  }

  /** The order and what belongs to it; null when orders does not know the order. */
  async load(orderId: string, customerId: string, withShipment: boolean): Promise<OrderFacts | null> {
    const [order, customer, shipment] = await Promise.all([
      this.orders.load(orderId),
      this.users.load(customerId),
      withShipment ? this.shipments.load(orderId) : Promise.resolve(null),
    ]);
    if (!order) return null;
    return { order, customer, shipment: shipment?.shipment ?? null };
  }
}

/** The template view of an order. */
export function orderView(facts: OrderFacts, reason: string | null): OrderView {
  const { order, customer, shipment } = facts;
  return {
    customerName: customer?.name ?? 'there',
    orderNumber: order.number,
    reason,
    carrier: shipment?.carrier ?? null,
    trackingNumber: shipment?.trackingNumber ?? null,
    lines: order.items.map((item) => ({
      name: item.productName,
      sku: item.sku,
      quantity: item.quantity,
      unitPrice: item.unitPrice.formatted,
      lineTotal: item.lineTotal.formatted,
    })),
    subtotal: order.subtotal.formatted,
    discount: order.discount.formatted,
    hasDiscount: order.discount.amount > 0,
    shippingCost: order.shippingCost.formatted,
    total: order.total.formatted,
    address: order.shippingAddress,
  };
}
