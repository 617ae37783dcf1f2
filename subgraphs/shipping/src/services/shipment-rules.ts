import { randomInt } from 'node:crypto';
import type { ShipmentStatus } from '@shopgraph/kit';

/** Every status, in the order a parcel normally goes through them (then the detours). */
export const SHIPMENT_STATUSES = ['LABEL_CREATED', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'DELIVERED', 'EXCEPTION', 'RETURNED'] as const satisfies readonly ShipmentStatus[];

/** Statuses a parcel never leaves. */
export const FINAL_STATUSES: ReadonlySet<ShipmentStatus> = new Set(['DELIVERED', 'RETURNED']);

/**
 * The moves a parcel may make: forward along LABEL_CREATED → IN_TRANSIT → OUT_FOR_DELIVERY → DELIVERED;
 * EXCEPTION from any status that is not final, and back to IN_TRANSIT; RETURNED once the carrier has it.
 */
const NEXT: Record<ShipmentStatus, readonly ShipmentStatus[]> = {
  LABEL_CREATED: ['IN_TRANSIT', 'EXCEPTION'],
  IN_TRANSIT: ['OUT_FOR_DELIVERY', 'EXCEPTION', 'RETURNED'],
  OUT_FOR_DELIVERY: ['DELIVERED', 'EXCEPTION', 'RETURNED'],
  EXCEPTION: ['IN_TRANSIT', 'RETURNED'],
  DELIVERED: [],
  RETURNED: [],
};

/** True when a parcel in `from` may move to `to` (a different status). */
export function canTransition(from: ShipmentStatus, to: ShipmentStatus): boolean {
  return NEXT[from].includes(to);
}

/**
 * What asking a shipment to move to `to` means: `unchanged` when it already is there (a repeat changes
 * nothing), `apply` for an allowed move, else why not. A voided label never moves again.
 */
export function decideTransition(shipment: { status: ShipmentStatus; voidedAt: Date | null }, to: ShipmentStatus): 'apply' | 'unchanged' | { refused: string } {
  if (shipment.status === to) return 'unchanged';
  if (shipment.voidedAt) return { refused: `The shipment's label was voided; it cannot move to ${to}` };
  if (FINAL_STATUSES.has(shipment.status)) return { refused: `The shipment is ${shipment.status}; it cannot move to ${to}` };
  if (!canTransition(shipment.status, to)) return { refused: `A shipment cannot move from ${shipment.status} to ${to}` };
  return 'apply';
}

/** The demo carrier's next step for a parcel on its way; null for EXCEPTION (left to a person) and final statuses. */
export function demoNextStatus(status: ShipmentStatus): ShipmentStatus | null {
  const steps: Partial<Record<ShipmentStatus, ShipmentStatus>> = { LABEL_CREATED: 'IN_TRANSIT', IN_TRANSIT: 'OUT_FOR_DELIVERY', OUT_FOR_DELIVERY: 'DELIVERED' };
  return steps[status] ?? null;
}

/** `from` plus `days` business days (Monday to Friday, UTC), keeping the time of day. */
export function addBusinessDays(from: Date, days: number): Date {
  const date = new Date(from);
  for (let left = days; left > 0; ) {
    date.setUTCDate(date.getUTCDate() + 1);
    const weekday = date.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left -= 1;
  }
  return date;
}

/** A fresh tracking number: SG and ten random digits, e.g. SG0482109337. */
export function newTrackingNumber(): string {
  return `SG${randomInt(0, 10_000_000_000).toString().padStart(10, '0')}`;
}

/** Weight of a parcel: every line's quantity times its unit weight. */
export function parcelWeight(items: ReadonlyArray<{ quantity: number; weightGrams: number }>): number {
  return items.reduce((sum, item) => sum + item.quantity * item.weightGrams, 0);
}
