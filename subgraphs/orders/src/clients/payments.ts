import type { SubgraphClient } from '@shopgraph/kit';
import {
  CancelPaymentDocument,
  type CapturePaymentInput,
  CapturePaymentDocument,
  type CapturePaymentMutation,
  ValidatePaymentTokenDocument,
} from '../__generated__/clients/payments.ts';

/** How a capture ended, typed by payments' schema. */
export type CaptureOutcome = CapturePaymentMutation['capturePayment']['outcome'];

/** Orders' calls to the payments subgraph (operations in payments.graphql, typed by `npm run codegen`). */
export interface PaymentsClient {
  validatePaymentToken(token: string): Promise<boolean>;
  capturePayment(input: CapturePaymentInput): Promise<{ outcome: CaptureOutcome; reason: string | null }>;
  /** Voids or refunds the order's payment; false when it has none. */
  cancelPayment(orderId: string, reason: string): Promise<boolean>;
}

export function createPaymentsClient(subgraph: SubgraphClient): PaymentsClient {
  return {
    validatePaymentToken: async (token) => (await subgraph.request(ValidatePaymentTokenDocument, { token })).validatePaymentToken,

    capturePayment: async (input) => {
      const { capturePayment } = await subgraph.request(CapturePaymentDocument, { input });
      return { outcome: capturePayment.outcome, reason: capturePayment.reason };
    },

    cancelPayment: async (orderId, reason) => (await subgraph.request(CancelPaymentDocument, { orderId, reason })).cancelPayment !== null,
  };
}
