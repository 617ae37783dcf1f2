import type { PaymentsClient } from '../clients/payments.ts';

/** A file attached to an email. */
export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
}

/**
 * The invoice PDF of an order, from payments (which issues invoices): attached to the payment confirmation.
 * Fetched when the email is sent, not when it is planned, so a stored delivery stays small; payments
 * unreachable fails the attempt and the delivery is retried like any other send failure.
 */
export class InvoiceAttachments {
  constructor(private readonly payments: PaymentsClient) {}

  async forOrder(orderId: string): Promise<MailAttachment[]> {
    const invoicePdf = await this.payments.invoicePdf(orderId);
    return invoicePdf ? [{ filename: invoicePdf.filename, content: Buffer.from(invoicePdf.pdfBase64, 'base64'), contentType: 'application/pdf' }] : [];
  }
}
