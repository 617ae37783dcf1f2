import type { OrderStatus } from '../db/schema.ts';

/**
 * The order life cycle: every legal status change, and nothing else. Transitions are applied with a
 * conditional UPDATE (`where status = $from`), so of two racing changes exactly one wins, and an illegal
 * one (DELIVERED → PAID) cannot happen however the calls interleave.
 */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['RESERVED', 'REJECTED', 'CANCELLED'],
  RESERVED: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAID: ['FULFILLING', 'REFUNDED'],
  FULFILLING: ['SHIPPED', 'REFUNDED'],
  // SHIPPED / DELIVERED → REFUNDED only when an admin refunds the payment in full (payment status events);
  // cancelOrder refuses them (see cancellationOf).
  SHIPPED: ['DELIVERED', 'REFUNDED'],
  DELIVERED: ['REFUNDED'],
  CANCELLED: [],
  REJECTED: [],
  PAYMENT_FAILED: [],
  REFUNDED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses after which nothing more happens to an order. */
export function isFinal(status: OrderStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Statuses from which cancelOrder works, and what it leads to. */
export function cancellationOf(status: OrderStatus): 'CANCELLED' | 'REFUNDED' | null {
  if (status === 'PENDING' || status === 'RESERVED') return 'CANCELLED';
  if (status === 'PAID' || status === 'FULFILLING') return 'REFUNDED';
  return null;
}

export class IllegalTransition extends Error {
  constructor(
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super(`Illegal order status change ${from} → ${to}`);
  }
}
