import type { AuthContext } from '@shopgraph/kit';
import DataLoader from 'dataloader';
import type { InvoiceRow, PaymentRow, RefundRow } from './db/schema.ts';
import type { InvoicesService } from './services/invoices.service.ts';
import type { PaymentsService } from './services/payments.service.ts';

/** What every payments resolver receives; loaders live for one request. */
export interface Context extends AuthContext {
  payments: PaymentsService;
  invoices: InvoicesService;
  loaders: {
    /** The invoice of an order: one query per batch. */
    invoiceOfOrder: DataLoader<string, InvoiceRow | null>;
    /** Credit notes of an invoice, oldest first. */
    creditNotes: DataLoader<string, InvoiceRow[]>;
    /** The payment of an order: every Order of one `_entities` batch in one query. */
    paymentOfOrder: DataLoader<string, PaymentRow | null>;
    /** Refunds of a payment, oldest first. */
    refunds: DataLoader<string, RefundRow[]>;
  };
}

export function createLoaders(payments: PaymentsService, invoices: InvoicesService): Context['loaders'] {
  return {
    invoiceOfOrder: new DataLoader((orderIds) => invoices.invoicesOfOrders(orderIds)),
    creditNotes: new DataLoader((invoiceIds) => invoices.creditNotesOf(invoiceIds)),
    paymentOfOrder: new DataLoader((orderIds) => payments.byOrderIds(orderIds)),
    refunds: new DataLoader((paymentIds) => payments.refundsOf(paymentIds)),
  };
}
