import { fetchEntities, type SubgraphClient } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { OrderView } from './templates.ts';

/**
 * What messages say about an order, read from the subgraphs that own it with notifications' internal
 * credential: the customer (users), the order with its lines, totals and address (orders; product names are
 * the ones the order snapshotted when it was placed), and the shipment's tracking number (shipping).
 * Concurrent jobs share one `_entities` request per subgraph (DataLoader batching, no caching: status
 * changes must be read fresh).
 */

interface MoneyOut {
  amount: number;
  formatted: string;
}

interface OrderEntity {
  id: string;
  number: string;
  customer: { id: string };
  items: Array<{ productName: string; sku: string; quantity: number; unitPrice: MoneyOut; lineTotal: MoneyOut }>;
  subtotal: MoneyOut;
  discount: MoneyOut;
  shippingCost: MoneyOut;
  total: MoneyOut & { currency: string };
  shippingAddress: NonNullable<OrderView['address']>;
}

interface UserEntity {
  id: string;
  email: string;
  name: string;
}

interface ShipmentEntity {
  id: string;
  shipment: { carrier: string; trackingNumber: string } | null;
}

const ORDER_FIELDS = `id number customer { id }
  items { productName sku quantity unitPrice { amount formatted } lineTotal { amount formatted } }
  subtotal { amount formatted } discount { amount formatted } shippingCost { amount formatted } total { amount currency formatted }
  shippingAddress { recipientName line1 line2 city region postalCode country }`;

const BATCH_WINDOW_MS = 5;

export interface OrderFacts {
  customer: UserEntity | null;
  order: OrderEntity;
  shipment: ShipmentEntity['shipment'];
}

export class OrderData {
  private readonly orders: DataLoader<string, OrderEntity | null>;
  private readonly users: DataLoader<string, UserEntity | null>;
  private readonly shipments: DataLoader<string, ShipmentEntity | null>;

  constructor(clients: { users: SubgraphClient; orders: SubgraphClient; shipping: SubgraphClient }) {
    const loader = <T>(client: SubgraphClient, typename: string, selection: string) =>
      new DataLoader<string, T | null>((ids) => fetchEntities<T>(client, typename, ids.map((id) => ({ id })), selection), {
        cache: false,
        maxBatchSize: 100,
        // Jobs reach this point at slightly different times: a short window gathers them into one request.
        batchScheduleFn: (callback) => setTimeout(callback, BATCH_WINDOW_MS),
      });
    this.orders = loader<OrderEntity>(clients.orders, 'Order', ORDER_FIELDS);
    this.users = loader<UserEntity>(clients.users, 'User', 'id email name');
    this.shipments = loader<ShipmentEntity>(clients.shipping, 'Order', 'id shipment { carrier trackingNumber }');
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
