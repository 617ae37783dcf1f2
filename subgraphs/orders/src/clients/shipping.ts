import { callErrorCode, type SubgraphClient } from '@shopgraph/kit';
import {
  CancelShipmentDocument,
  type CreateShipmentInput,
  CreateShipmentDocument,
  type ShippingItemInput,
  ShippingQuoteDocument,
  type ShippingQuoteQuery,
} from '../__generated__/clients/shipping.ts';

/** The price of sending a parcel, typed by shipping's schema. */
export type ShippingQuote = ShippingQuoteQuery['shippingQuote'];

/** Orders' calls to the shipping subgraph (operations in shipping.graphql, typed by `npm run codegen`). */
export interface ShippingClient {
  shippingQuote(items: ShippingItemInput[], country: string, postalCode: string): Promise<ShippingQuote>;
  createShipment(input: CreateShipmentInput): Promise<void>;
  /** Voids the label; 'shipped' when the parcel is already on its way, 'none' without a shipment. */
  cancelShipment(orderId: string): Promise<'cancelled' | 'shipped' | 'none'>;
}

/** Only the fields shipping's input declares: checkout's lines may carry more. */
const shippingItems = (items: ShippingItemInput[]): ShippingItemInput[] => items.map(({ productId, quantity, weightGrams }) => ({ productId, quantity, weightGrams }));

export function createShippingClient(subgraph: SubgraphClient): ShippingClient {
  return {
    shippingQuote: async (items, country, postalCode) => (await subgraph.request(ShippingQuoteDocument, { items: shippingItems(items), country, postalCode })).shippingQuote,

    createShipment: async (input) => {
      await subgraph.request(CreateShipmentDocument, { input: { ...input, items: shippingItems(input.items) } });
    },

    cancelShipment: async (orderId) => {
      try {
        const { cancelShipment } = await subgraph.request(CancelShipmentDocument, { orderId });
        return cancelShipment ? 'cancelled' : 'none';
      } catch (error) {
        if (callErrorCode(error) === 'NOT_FOUND') return 'none';
        if (callErrorCode(error) === 'CONFLICT') return 'shipped';
        throw error;
      }
    },
  };
}
