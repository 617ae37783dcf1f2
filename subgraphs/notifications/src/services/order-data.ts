import { money, type OrderStatusEvent, type SubgraphClient } from '@shopgraph/kit';
import { createOrdersClient, type OrderEntity } from '../clients/orders.ts';
import { createShippingClient, type ShipmentEntity } from '../clients/shipping.ts';
import { type CustomerEntity, createUsersClient } from '../clients/users.ts';
import { batched } from './batching.ts';
import type { OrderView } from './templates.ts';

/**
 * What messages say about an order, read from the subgraphs that own it with notifications' internal
 * credential: the customer (users), the order with its lines, totals and address (orders; product names are
 * the ones the order snapshotted when it was placed), and the shipment's tracking number (shipping).
 * Concurrent jobs share one `_entities` request per subgraph (DataLoader batching, no caching: status
 * changes must be read fresh).
 */

export interface OrderFacts {
  customer: CustomerEntity | null;
  order: OrderEntity;
  shipment: ShipmentEntity['shipment'];
}

export class OrderData {
  private readonly orders: (id: string) => Promise<OrderEntity | null>;
  private readonly users: (id: string) => Promise<CustomerEntity | null>;
  private readonly shipments: (orderId: string) => Promise<ShipmentEntity | null>;

  constructor(clients: { users: SubgraphClient; orders: SubgraphClient; shipping: SubgraphClient }) {
    this.orders = batched(createOrdersClient(clients.orders).ordersByIds);
    this.users = batched(createUsersClient(clients.users).customersByIds);
    this.shipments = batched(createShippingClient(clients.shipping).shipmentsByOrderIds);
  }

  /**
   * The order of a status event and what belongs to it; null when orders does not know the order. The order as
   * placed comes with the event; only an event written before events carried it makes a request to orders.
   */
  async load(event: OrderStatusEvent, withShipment: boolean): Promise<OrderFacts | null> {
    const [order, customer, shipment] = await Promise.all([
      event.order ? orderOf(event, event.order) : this.orders(event.orderId),
      this.users(event.customerId),
      withShipment ? this.shipments(event.orderId) : Promise.resolve(null),
    ]);
    if (!order) return null;
    return { order, customer, shipment: shipment?.shipment ?? null };
  }
}

/** The order as orders' `_entities` answers it, from the snapshot a status event carries. */
function orderOf(event: OrderStatusEvent, placed: NonNullable<OrderStatusEvent['order']>): OrderEntity {
  const amount = (value: number) => {
    const { formatted } = money(value, placed.currency);
    return { amount: value, formatted };
  };
  const { recipientName, line1, line2, city, region, postalCode, country } = placed.shippingAddress;
  return {
    id: event.orderId,
    number: event.orderNumber,
    customer: { id: event.customerId },
    items: placed.items.map((item) => ({ productName: item.productName, sku: item.sku, quantity: item.quantity, unitPrice: amount(item.unitPrice), lineTotal: amount(item.lineTotal) })),
    subtotal: amount(placed.subtotal),
    discount: amount(placed.discount),
    shippingCost: amount(placed.shippingCost),
    total: { ...amount(placed.total), currency: placed.currency },
    shippingAddress: { recipientName: recipientName ?? null, line1, line2: line2 ?? null, city, region: region ?? null, postalCode: postalCode ?? null, country },
  };
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
