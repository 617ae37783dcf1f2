import { callErrorCode, type SubgraphClient } from '@shopgraph/kit';
import {
  CommitReservationDocument,
  ReleaseReservationDocument,
  type ReservationItemInput,
  ReserveStockDocument,
  type ReserveStockMutation,
} from '../__generated__/clients/inventory.ts';

type Reserved = ReserveStockMutation['reserveStock'];

/** What a reservation attempt gave, typed by inventory's schema: a reservation, or the lines that lack stock. */
export type ReserveOutcome =
  | { status: 'RESERVED'; reservation: NonNullable<Reserved['reservation']> }
  | { status: 'OUT_OF_STOCK'; unavailable: Reserved['unavailable'] };

/** Orders' calls to the inventory subgraph (operations in inventory.graphql, typed by `npm run codegen`). */
export interface InventoryClient {
  reserveStock(orderId: string, items: ReservationItemInput[], ttlSeconds: number): Promise<ReserveOutcome>;
  commitReservation(orderId: string): Promise<void>;
  /** Gives the stock back; 'committed' when the units already left (nothing to give back), 'none' without a reservation. */
  releaseReservation(orderId: string): Promise<'released' | 'committed' | 'none'>;
}

export function createInventoryClient(subgraph: SubgraphClient): InventoryClient {
  return {
    reserveStock: async (orderId, items, ttlSeconds) => {
      const { reserveStock } = await subgraph.request(ReserveStockDocument, {
        orderId,
        items: items.map(({ productId, quantity }) => ({ productId, quantity })),
        ttlSeconds,
      });
      if (reserveStock.status === 'OUT_OF_STOCK') return { status: 'OUT_OF_STOCK', unavailable: reserveStock.unavailable };
      if (!reserveStock.reservation) throw new Error('inventory answered RESERVED without a reservation');
      return { status: 'RESERVED', reservation: reserveStock.reservation };
    },

    commitReservation: async (orderId) => {
      await subgraph.request(CommitReservationDocument, { orderId });
    },

    releaseReservation: async (orderId) => {
      try {
        await subgraph.request(ReleaseReservationDocument, { orderId });
        return 'released';
      } catch (error) {
        if (callErrorCode(error) === 'NOT_FOUND') return 'none';
        if (callErrorCode(error) === 'CONFLICT') return 'committed';
        throw error;
      }
    },
  };
}
