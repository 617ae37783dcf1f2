import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { PaymentRow, RefundRow } from './db/schema.ts';
import type { PaymentsService } from './services/payments.service.ts';

/** What every payments resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  payments: PaymentsService;
  loaders: {
    /** The payment of an order: every Order of one `_entities` batch in one query. */
    paymentOfOrder: DataLoader<string, PaymentRow | null>;
    /** Refunds of a payment, oldest first. */
    refunds: DataLoader<string, RefundRow[]>;
  };
}

export function createLoaders(payments: PaymentsService): Context['loaders'] {
  return {
    paymentOfOrder: new DataLoader((orderIds) => payments.byOrderIds(orderIds)),
    refunds: new DataLoader((paymentIds) => payments.refundsOf(paymentIds)),
  };
}
