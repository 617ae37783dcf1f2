import type { OrderStatus } from '@shopgraph/kit';

/**
 * The events notifications tells people about, in one place: webhook subscriptions name them, templates are
 * keyed by them. Order statuses without one (RESERVED, FULFILLING) are internal steps nobody is told about.
 */
export const EVENT_TYPES = [
  'order.placed',
  'order.paid',
  'order.payment_failed',
  'order.rejected',
  'order.shipped',
  'order.delivered',
  'order.cancelled',
  'order.refunded',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

const BY_STATUS: Partial<Record<OrderStatus, EventType>> = {
  PENDING: 'order.placed',
  PAID: 'order.paid',
  PAYMENT_FAILED: 'order.payment_failed',
  REJECTED: 'order.rejected',
  SHIPPED: 'order.shipped',
  DELIVERED: 'order.delivered',
  CANCELLED: 'order.cancelled',
  REFUNDED: 'order.refunded',
};

/** The event type of an order status change, or null when nobody is told about it. */
export function eventTypeOf(status: OrderStatus): EventType | null {
  return BY_STATUS[status] ?? null;
}

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}
