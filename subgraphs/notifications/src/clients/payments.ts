import type { SubgraphClient } from '@shopgraph/kit';
import { InvoicePdfDocument, type InvoicePdfQuery } from '../__generated__/clients/payments.ts';

/** An order's invoice as a PDF file (null before payments has issued one), typed by payments' schema. */
export type InvoicePdf = InvoicePdfQuery['invoicePdf'];

/** Notifications' calls to the payments subgraph (operations in payments.graphql, typed by `npm run codegen`). */
export interface PaymentsClient {
  invoicePdf(orderId: string): Promise<InvoicePdf>;
}

export function createPaymentsClient(subgraph: SubgraphClient): PaymentsClient {
  return { invoicePdf: async (orderId) => (await subgraph.request(InvoicePdfDocument, { orderId })).invoicePdf };
}
