/**
 * Events that cross subgraph boundaries: queue names and payload types, shared so that producer and
 * consumer cannot drift apart. Every event has a unique `eventId`; consumers dedupe by it, since
 * delivery is at least once. (Domain rules stay in the subgraphs; this is only the wire contract.)
 */
import type { DeliveryAddress } from './validation.ts';

/**
 * BullMQ queue: shipping → orders, one job per shipment status change that orders acts on
 * (SHIPMENT_STATUS_INTERESTS; job id = eventId).
 */
export const SHIPMENT_STATUS_QUEUE = 'shipping.shipment-status';

export type ShipmentStatus = 'LABEL_CREATED' | 'IN_TRANSIT' | 'OUT_FOR_DELIVERY' | 'DELIVERED' | 'EXCEPTION' | 'RETURNED';

/**
 * The shipment statuses orders acts on: on its way (SHIPPED) and delivered (DELIVERED). Shipping writes an event
 * only for these; the label it creates in checkout, an exception or a return change no order. A new consumer of
 * SHIPMENT_STATUS_QUEUE adds the statuses it needs here.
 */
export const SHIPMENT_STATUS_INTERESTS: readonly ShipmentStatus[] = ['IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED'];

export interface ShipmentStatusEvent {
  eventId: string;
  orderId: string;
  shipmentId: string;
  status: ShipmentStatus;
  previousStatus: ShipmentStatus | null;
  trackingNumber: string;
  carrier: string;
  /** ISO-8601. */
  at: string;
  location?: string | null;
  note?: string | null;
}

/**
 * Order status changes, fanned out: orders publishes every event once to the own BullMQ queue of each subscriber
 * that acts on its status (`orders.status-changed.<subscriber>`, job id = eventId, all queues in one Redis
 * transaction; ORDER_STATUS_INTERESTS), so every consuming service receives the events it needs instead of
 * competing with the others for one queue's jobs.
 * A new consumer adds its name here and consumes `orderStatusQueue(<its name>)`.
 */
export const ORDER_STATUS_TOPIC = 'orders.status-changed';
export const ORDER_STATUS_SUBSCRIBERS = ['notifications', 'recommendations'] as const;
export type OrderStatusSubscriber = (typeof ORDER_STATUS_SUBSCRIBERS)[number];
/** The queue on which `subscriber` receives every order status change. */
export const orderStatusQueue = (subscriber: OrderStatusSubscriber) => `${ORDER_STATUS_TOPIC}.${subscriber}`;
/** Every subscriber's queue: where orders' outbox publishes events. */
export const ORDER_STATUS_QUEUES: readonly string[] = ORDER_STATUS_SUBSCRIBERS.map(orderStatusQueue);
/**
 * The statuses each subscriber acts on: orders adds an event's job only to the queues of the subscribers whose
 * list has its status. A job nobody acts on still costs orders, Redis and the consumer a round each (in a
 * checkout, RESERVED and FULFILLING are internal steps). A consumer that starts acting on another status adds
 * it here; each consumer's tests hold its list to what its code handles.
 */
export const ORDER_STATUS_INTERESTS: Readonly<Record<OrderStatusSubscriber, readonly OrderStatus[]>> = {
  notifications: ['PENDING', 'PAID', 'PAYMENT_FAILED', 'REJECTED', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED'],
  recommendations: ['PAID', 'CANCELLED', 'REFUNDED'],
};
/** The queues a status change of `status` goes to. */
export function orderStatusQueuesOf(status: OrderStatus): string[] {
  return ORDER_STATUS_SUBSCRIBERS.filter((subscriber) => ORDER_STATUS_INTERESTS[subscriber].includes(status)).map(orderStatusQueue);
}
/** Redis pub/sub channel prefix of order status changes for live subscriptions: `${prefix}${orderId}`. */
export const ORDER_STATUS_CHANNEL_PREFIX = 'orders:status:';
/** Redis pub/sub channel of one customer's order status changes (`myOrderUpdates`); `*` makes the pattern of all. */
export const customerOrderStatusChannel = (customerId: string) => `${ORDER_STATUS_CHANNEL_PREFIX}customer:${customerId}`;

export type OrderStatus =
  | 'PENDING'
  | 'RESERVED'
  | 'PAID'
  | 'FULFILLING'
  | 'SHIPPED'
  | 'DELIVERED'
  | 'CANCELLED'
  | 'REJECTED'
  | 'PAYMENT_FAILED'
  | 'REFUNDED';

/** An order as placed: amounts in minor units of `currency`, lines in the order's own positions. */
export interface OrderSnapshot {
  currency: string;
  subtotal: number;
  discount: number;
  shippingCost: number;
  total: number;
  /** ISO-8601. */
  placedAt: string;
  shippingAddress: DeliveryAddress;
  items: Array<{ productId: string; productName: string; sku: string; quantity: number; unitPrice: number; lineTotal: number }>;
}

export interface OrderStatusEvent {
  eventId: string;
  orderId: string;
  orderNumber: string;
  customerId: string;
  status: OrderStatus;
  previousStatus: OrderStatus | null;
  /** Position of this change in the order's status history (1, 2, ...). */
  sequence: number;
  reason: string | null;
  /** ISO-8601. */
  at: string;
  /**
   * What the order was when it was placed, which never changes after: its consumers need not ask orders for it.
   * Absent from events written before it was added, and from the pub/sub messages of live subscriptions.
   */
  order?: OrderSnapshot;
}

/**
 * BullMQ queue: payments → orders, one job per payment status change that orders acts on
 * (PAYMENT_STATUS_INTERESTS; job id = eventId).
 */
export const PAYMENT_STATUS_QUEUE = 'payments.payment-status';

export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'CAPTURED' | 'DECLINED' | 'VOIDED' | 'REFUNDED' | 'PARTIALLY_REFUNDED';

/**
 * The payment statuses orders acts on: a payment refunded in full moves its order to REFUNDED. Payments writes an
 * event only for these. The other changes are the checkout saga's own doing, which acts on capturePayment's
 * answer, or change no order (a partial refund). A new consumer of PAYMENT_STATUS_QUEUE adds the statuses it needs here.
 */
export const PAYMENT_STATUS_INTERESTS: readonly PaymentStatus[] = ['REFUNDED'];

export interface PaymentStatusEvent {
  eventId: string;
  orderId: string;
  paymentId: string;
  status: PaymentStatus;
  /** The status before the change (equal to `status` for a further partial refund). */
  previousStatus: PaymentStatus;
  /** The payment's amount, in minor units. */
  amount: number;
  /** Everything refunded so far, in minor units. */
  refundedAmount: number;
  currency: string;
  /** Why: the refund's or void's reason, the decline code; null when there is none. */
  reason: string | null;
  /** ISO-8601. */
  at: string;
}

/** BullMQ queue: pricing → any consumer (price alerts, search indexes…), one job per price change (job id = eventId). */
export const PRICE_CHANGED_QUEUE = 'pricing.price-changed';

export interface PriceChangedEvent {
  eventId: string;
  productId: string;
  /** The new regular price, in minor units of `currency`. */
  amount: number;
  currency: string;
  compareAtAmount: number | null;
  /** The regular price before the change; null for a product's first price. */
  previousAmount: number | null;
  previousCurrency: string | null;
  /** The admin who changed it. */
  changedBy: string;
  /** ISO-8601. */
  at: string;
}

/**
 * Redis pub/sub channel on which a subgraph announces that an entity it contributes to changed; the router
 * drops that entity from its entity cache. Message: JSON {@link EntityChangedMessage}. At most once: a
 * router that misses one serves the old value until its max-age.
 */
export const ENTITY_CHANGED_CHANNEL = 'shopgraph:entity-changed';

export interface EntityChangedMessage {
  typename: string;
  id: string;
}
