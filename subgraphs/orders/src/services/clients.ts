import { callErrorCode, type DeliveryAddress, type SubgraphClient } from '@shopgraph/kit';
import { createInventoryClient, type InventoryClient } from '../clients/inventory.ts';
import { createPaymentsClient, type PaymentsClient } from '../clients/payments.ts';
import { createPricingClient, type PricingClient } from '../clients/pricing.ts';
import { createProductsClient, type ProductsClient } from '../clients/products.ts';
import { createShippingClient, type ShippingClient } from '../clients/shipping.ts';

/**
 * The other subgraphs as checkout sees them: one typed client per subgraph in `src/clients/<owner>.ts`, each
 * sending the operations of `src/clients/<owner>.graphql` (generated against the owner's schema.graphql) with
 * the orders service's internal credential.
 */

export type { CatalogProduct } from '../clients/products.ts';
export type { CheckoutQuote, QuoteLine } from '../clients/pricing.ts';
export type { ShippingQuote } from '../clients/shipping.ts';
export type { ReserveOutcome } from '../clients/inventory.ts';
export type { CaptureOutcome } from '../clients/payments.ts';

export interface Line {
  productId: string;
  quantity: number;
}

export type ShipmentAddress = DeliveryAddress;

/** The other subgraphs as checkout sees them. */
export type CheckoutPorts = ProductsClient & PricingClient & ShippingClient & PaymentsClient & InventoryClient;

/** The code of a failed call's first GraphQL error, if the other subgraph answered with one. */
export const codeOf = callErrorCode;

export function checkoutPorts(clients: {
  products: SubgraphClient;
  pricing: SubgraphClient;
  inventory: SubgraphClient;
  payments: SubgraphClient;
  shipping: SubgraphClient;
}): CheckoutPorts {
  return {
    ...createProductsClient(clients.products),
    ...createPricingClient(clients.pricing),
    ...createShippingClient(clients.shipping),
    ...createPaymentsClient(clients.payments),
    ...createInventoryClient(clients.inventory),
  };
}
