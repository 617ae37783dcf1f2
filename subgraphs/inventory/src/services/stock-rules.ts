import { mergeLineItems } from '@shopgraph/kit';
import type { MovementKind } from '../db/schema.ts';

/** A product's stock: always `onHand = reserved + available`, none negative. */
export interface StockLevel {
  onHand: number;
  reserved: number;
  available: number;
}

/** The stock of a product that has never had any. */
export const ZERO_STOCK: StockLevel = Object.freeze({ onHand: 0, reserved: 0, available: 0 });

/** The most units a product may have on hand; keeps every sum far from 32-bit overflow. */
export const MAX_ON_HAND = 1_000_000_000;

/** The largest single adjustment or reservation line. */
export const MAX_UNITS_PER_CHANGE = 1_000_000;

/**
 * How a movement changes each number. `units` is signed for ADJUSTMENT and a positive quantity for the
 * reservation kinds. Every effect keeps `onHand = reserved + available`.
 */
export function effectOf(kind: MovementKind, units: number): StockLevel {
  switch (kind) {
    case 'ADJUSTMENT':
      return { onHand: units, reserved: 0, available: units };
    case 'RESERVE':
      return { onHand: 0, reserved: units, available: -units };
    case 'COMMIT':
      return { onHand: -units, reserved: -units, available: 0 };
    case 'RELEASE':
    case 'EXPIRE':
      return { onHand: 0, reserved: -units, available: units };
  }
}

/** The signed `delta` a movement records (see StockMovement.delta in schema.graphql). */
export function recordedDelta(kind: MovementKind, units: number): number {
  const effect = effectOf(kind, units);
  return kind === 'ADJUSTMENT' || kind === 'COMMIT' ? effect.onHand : effect.available;
}

export interface Line {
  productId: string;
  quantity: number;
}

/**
 * One line per product, quantities summed, sorted by product id. Every transaction that touches
 * several stock rows locks them in this order, so concurrent reservations cannot deadlock.
 */
export function mergeLines(lines: readonly Line[]): Line[] {
  return mergeLineItems(lines).sort(byProductId);
}

/** Orders lines by product id, by code unit (never by database collation, which may differ). */
export function byProductId(a: { productId: string }, b: { productId: string }): number {
  return a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;
}

/** Whether two merged, sorted line lists ask for the same thing. */
export function sameLines(a: readonly Line[], b: readonly Line[]): boolean {
  return a.length === b.length && a.every((line, i) => line.productId === b[i]!.productId && line.quantity === b[i]!.quantity);
}
