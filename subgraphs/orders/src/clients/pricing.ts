import type { SubgraphClient } from '@shopgraph/kit';
import { CheckoutQuoteDocument, type CheckoutQuoteMutation, type LineItemInput, ReleaseRedemptionDocument } from '../__generated__/clients/pricing.ts';

/** The quote pricing stores for an order, typed by pricing's schema. */
export type CheckoutQuote = CheckoutQuoteMutation['checkoutQuote'];
export type QuoteLine = CheckoutQuote['lines'][number];

/** Orders' calls to the pricing subgraph (operations in pricing.graphql, typed by `npm run codegen`). */
export interface PricingClient {
  /**
   * Stores the order's quote, taxed for delivery to `country`; a promo code that applies is redeemed for the
   * order (BAD_USER_INPUT when used up).
   */
  checkoutQuote(orderId: string, items: LineItemInput[], promoCode: string | null, customerId: string, country: string): Promise<CheckoutQuote>;
  /** Gives back the order's promo code redemption (and with `discardQuote` its quote); idempotent. */
  releaseRedemption(orderId: string, discardQuote?: boolean): Promise<void>;
}

export function createPricingClient(subgraph: SubgraphClient): PricingClient {
  return {
    checkoutQuote: async (orderId, items, promoCode, customerId, country) =>
      (await subgraph.request(CheckoutQuoteDocument, { orderId, items: items.map(({ productId, quantity }) => ({ productId, quantity })), promoCode, customerId, country })).checkoutQuote,

    releaseRedemption: async (orderId, discardQuote = false) => {
      await subgraph.request(ReleaseRedemptionDocument, { orderId, discardQuote });
    },
  };
}
