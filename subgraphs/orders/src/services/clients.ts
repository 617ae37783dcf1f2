import { type DeliveryAddress, fetchEntities, SubgraphCallError, type SubgraphClient } from '@shopgraph/kit';
import type { InvoiceDetails } from './invoice-details.ts';

/**
 * Typed calls to the subgraphs checkout depends on, each through its internal operations (or `_entities`)
 * with the orders service's internal credential. Field names follow their schema.graphql files.
 */

export interface CatalogProduct {
  id: string;
  name: string;
  sku: string;
  active: boolean;
  weightGrams: number;
}

export interface Line {
  productId: string;
  quantity: number;
}

export interface QuoteLine {
  product: { id: string };
  quantity: number;
  unitPrice: { amount: number; currency: string };
  lineTotal: { amount: number };
  discount: { amount: number };
  tax: { amount: number };
  /** Percent, e.g. 5.5. */
  taxRate: number;
}

export interface CheckoutQuote {
  lines: QuoteLine[];
  subtotal: { amount: number; currency: string };
  discount: { amount: number };
  total: { amount: number };
  totalTax: { amount: number };
  pricesIncludeTax: boolean;
  promoCode: string | null;
}

export interface ShippingQuote {
  amount: { amount: number; currency: string };
  carrier: string;
  service: string;
}

export type ReservationStatus = 'ACTIVE' | 'COMMITTED' | 'RELEASED' | 'EXPIRED';

export type ReserveOutcome =
  | { status: 'RESERVED'; reservation: { status: ReservationStatus } }
  | { status: 'OUT_OF_STOCK'; unavailable: Array<{ productId: string; requested: number; available: number }> };

export type CaptureOutcome = 'CAPTURED' | 'DECLINED' | 'RETRY';

export type ShipmentAddress = DeliveryAddress;

/** The other subgraphs as checkout sees them. */
export interface CheckoutPorts {
  products(ids: string[]): Promise<Array<CatalogProduct | null>>;
  /** Stores the order's quote; a promo code that applies is redeemed for the order (BAD_USER_INPUT when used up). */
  /** Taxed for delivery to `country`. */
  checkoutQuote(orderId: string, items: Line[], promoCode: string | null, customerId: string, country: string): Promise<CheckoutQuote>;
  /** Gives back the order's promo code redemption (and with `discardQuote` its quote); idempotent. */
  releaseRedemption(orderId: string, discardQuote?: boolean): Promise<void>;
  shippingQuote(items: Array<Line & { weightGrams: number }>, country: string, postalCode: string): Promise<ShippingQuote>;
  validatePaymentToken(token: string): Promise<boolean>;
  reserveStock(orderId: string, items: Line[], ttlSeconds: number): Promise<ReserveOutcome>;
  commitReservation(orderId: string): Promise<void>;
  /** Gives the stock back; 'committed' when the units already left (nothing to give back), 'none' without a reservation. */
  releaseReservation(orderId: string): Promise<'released' | 'committed' | 'none'>;
  capturePayment(input: {
    orderId: string;
    customerId: string;
    amount: number;
    currency: string;
    paymentToken: string;
    /** What payments puts on the invoice it issues when the payment is captured. */
    invoice?: InvoiceDetails;
  }): Promise<{ outcome: CaptureOutcome; reason: string | null }>;
  /** Voids or refunds the order's payment; false when it has none. */
  cancelPayment(orderId: string, reason: string): Promise<boolean>;
  createShipment(input: { orderId: string; customerId: string; address: ShipmentAddress; items: Array<Line & { weightGrams: number }> }): Promise<void>;
  /** Voids the label; 'shipped' when the parcel is already on its way, 'none' without a shipment. */
  cancelShipment(orderId: string): Promise<'cancelled' | 'shipped' | 'none'>;
}

const QUOTE = `lines { product { id } quantity unitPrice { amount currency } lineTotal { amount } discount { amount } tax { amount } taxRate }
  subtotal { amount currency } discount { amount } total { amount } totalTax { amount } pricesIncludeTax promoCode`;

/** The code of a failed call's first GraphQL error, if the other subgraph answered with one. */
export const codeOf = (error: unknown): string | undefined => (error instanceof SubgraphCallError ? error.code : undefined);

export function checkoutPorts(clients: {
  products: SubgraphClient;
  pricing: SubgraphClient;
  inventory: SubgraphClient;
  payments: SubgraphClient;
  shipping: SubgraphClient;
}): CheckoutPorts {
  const { products, pricing, inventory, payments, shipping } = clients;
  return {
    products: (ids) => fetchEntities<CatalogProduct>(products, 'Product', ids.map((id) => ({ id })), 'id name sku active weightGrams'),

    checkoutQuote: async (orderId, items, promoCode, customerId, country) =>
      (
        await pricing.request<{ checkoutQuote: CheckoutQuote }>(
          `mutation($orderId: ID!, $items: [LineItemInput!]!, $promoCode: String, $customerId: ID, $country: String) { checkoutQuote(orderId: $orderId, items: $items, promoCode: $promoCode, customerId: $customerId, country: $country) { ${QUOTE} } }`,
          { orderId, items, promoCode, customerId, country },
        )
      ).checkoutQuote,

    releaseRedemption: async (orderId, discardQuote = false) => {
      await pricing.request(`mutation($orderId: ID!, $discardQuote: Boolean) { releaseRedemption(orderId: $orderId, discardQuote: $discardQuote) }`, { orderId, discardQuote });
    },

    shippingQuote: async (items, country, postalCode) =>
      (
        await shipping.request<{ shippingQuote: ShippingQuote }>(
          `query($items: [ShippingItemInput!]!, $country: String!, $postalCode: String) { shippingQuote(items: $items, country: $country, postalCode: $postalCode) { amount { amount currency } carrier service } }`,
          { items, country, postalCode },
        )
      ).shippingQuote,

    validatePaymentToken: async (token) =>
      (await payments.request<{ validatePaymentToken: boolean }>(`query($token: String!) { validatePaymentToken(token: $token) }`, { token })).validatePaymentToken,

    reserveStock: async (orderId, items, ttlSeconds) => {
      const { reserveStock } = await inventory.request<{
        reserveStock: { status: 'RESERVED' | 'OUT_OF_STOCK'; reservation: { status: ReservationStatus } | null; unavailable: Array<{ productId: string; requested: number; available: number }> };
      }>(
        `mutation($orderId: ID!, $items: [ReservationItemInput!]!, $ttlSeconds: Int!) { reserveStock(orderId: $orderId, items: $items, ttlSeconds: $ttlSeconds) { status reservation { status } unavailable { productId requested available } } }`,
        { orderId, items, ttlSeconds },
      );
      return reserveStock.status === 'RESERVED'
        ? { status: 'RESERVED', reservation: reserveStock.reservation! }
        : { status: 'OUT_OF_STOCK', unavailable: reserveStock.unavailable };
    },

    commitReservation: async (orderId) => {
      await inventory.request(`mutation($orderId: ID!) { commitReservation(orderId: $orderId) { status } }`, { orderId });
    },

    releaseReservation: async (orderId) => {
      try {
        await inventory.request(`mutation($orderId: ID!) { releaseReservation(orderId: $orderId) { status } }`, { orderId });
        return 'released';
      } catch (error) {
        if (codeOf(error) === 'NOT_FOUND') return 'none';
        if (codeOf(error) === 'CONFLICT') return 'committed';
        throw error;
      }
    },

    capturePayment: async (input) => {
      const { capturePayment } = await payments.request<{ capturePayment: { outcome: CaptureOutcome; reason: string | null } }>(
        `mutation($input: CapturePaymentInput!) { capturePayment(input: $input) { outcome reason payment { id status } } }`,
        { input },
      );
      return capturePayment;
    },

    cancelPayment: async (orderId, reason) => {
      const { cancelPayment } = await payments.request<{ cancelPayment: { id: string } | null }>(
        `mutation($orderId: ID!, $reason: String!) { cancelPayment(orderId: $orderId, reason: $reason) { id status } }`,
        { orderId, reason },
      );
      return cancelPayment !== null;
    },

    createShipment: async (input) => {
      await shipping.request(`mutation($input: CreateShipmentInput!) { createShipment(input: $input) { id } }`, { input });
    },

    cancelShipment: async (orderId) => {
      try {
        const { cancelShipment } = await shipping.request<{ cancelShipment: { id: string } | null }>(
          `mutation($orderId: ID!) { cancelShipment(orderId: $orderId) { id status } }`,
          { orderId },
        );
        return cancelShipment ? 'cancelled' : 'none';
      } catch (error) {
        if (codeOf(error) === 'NOT_FOUND') return 'none';
        if (codeOf(error) === 'CONFLICT') return 'shipped';
        throw error;
      }
    },
  };
}
