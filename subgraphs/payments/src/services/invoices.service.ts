import { createHmac, timingSafeEqual } from 'node:crypto';
import { anyOf, type Database, divideRoundHalfUp, isUuid, type Transaction } from '@shopgraph/kit';
import { and, asc, eq, sql } from 'drizzle-orm';
import { type InvoiceRow, invoices, invoiceSequences, type PaymentRow, type RefundRow, type schema } from '../db/schema.ts';
import type { InvoiceDetails, InvoiceParty } from './invoice-details.ts';
import { renderInvoicePdf } from './invoice-pdf.ts';

type Db = Database<typeof schema>;
type Tx = Transaction<typeof schema>;

/** Where the router serves documents (proxied to payments): `GET /invoices?id=…&expires=…&signature=…`. */
export const INVOICE_DOWNLOAD_PATH = '/invoices';

const PREFIX = { INVOICE: 'INV', CREDIT_NOTE: 'CN' } as const;


export interface InvoiceSettings {
  seller: InvoiceParty;
  /** Signs download links; derived from the internal secret, so no new secret needs distributing. */
  signingKey: Buffer;
  /** How long a download link works. */
  urlTtlSeconds: number;
  /** Origin put before download links (the router's public origin); empty: links are relative to it. */
  publicUrl: string;
}

/** Derives the download-link key from the internal secret (a separate key for a separate purpose). */
export function invoiceSigningKey(internalSecret: string): Buffer {
  return createHmac('sha256', internalSecret).update('shopgraph invoice download links').digest();
}

/**
 * Invoices and credit notes: issued inside the transaction that captures or refunds (so a paid order has its
 * invoice exactly when its payment is CAPTURED, and a refund its credit note), numbered gap-free per kind and
 * year, and rendered on demand from their immutable snapshot.
 */
export class InvoicesService {
  constructor(
    private readonly db: Db,
    private readonly settings: InvoiceSettings,
  ) {}

  /** Issues the invoice of a captured payment, once; null when checkout sent no invoice details. */
  async issueInvoice(tx: Tx, payment: PaymentRow): Promise<InvoiceRow | null> {
    if (!payment.invoiceDetails) return null;
    const [existing] = await tx.select().from(invoices).where(and(eq(invoices.orderId, payment.orderId), eq(invoices.kind, 'INVOICE')));
    if (existing) return existing;
    const details: InvoiceDetails = { ...payment.invoiceDetails, seller: this.settings.seller, currency: payment.currency, total: payment.capturedAmount };
    return this.insert(tx, 'INVOICE', payment, { total: payment.capturedAmount, tax: payment.invoiceDetails.totalTax, details });
  }

  /**
   * Issues the credit note of a refund, once. Its VAT is the refund's share of the invoice's VAT (rounded half
   * up), so a full refund credits exactly the invoiced VAT. Null when the order has no invoice.
   */
  async issueCreditNote(tx: Tx, payment: PaymentRow, refund: RefundRow): Promise<InvoiceRow | null> {
    const [invoice] = await tx.select().from(invoices).where(and(eq(invoices.orderId, payment.orderId), eq(invoices.kind, 'INVOICE')));
    if (!invoice) return null;
    const [existing] = await tx.select().from(invoices).where(eq(invoices.refundId, refund.id));
    if (existing) return existing;
    const credited = await tx
      .select({ total: sql<number>`coalesce(sum(${invoices.total}), 0)::int`, tax: sql<number>`coalesce(sum(${invoices.tax}), 0)::int` })
      .from(invoices)
      .where(and(eq(invoices.invoiceId, invoice.id), eq(invoices.kind, 'CREDIT_NOTE')));
    // The last refund credits whatever VAT is left, so credit notes never add up to more or less than the invoice.
    const refundsAll = credited[0]!.total + refund.amount >= invoice.total;
    const tax = refundsAll ? invoice.tax - credited[0]!.tax : Math.min(divideRoundHalfUp(refund.amount * invoice.tax, invoice.total), invoice.tax - credited[0]!.tax);
    const details: InvoiceDetails = { ...invoice.details, total: refund.amount, credit: { invoiceNumber: invoice.number, amount: refund.amount, tax, reason: refund.reason } };
    return this.insert(tx, 'CREDIT_NOTE', payment, { total: refund.amount, tax, details, refundId: refund.id, invoiceId: invoice.id });
  }

  /** The invoices of many orders in one query (null where there is none). */
  async invoicesOfOrders(orderIds: readonly string[]): Promise<Array<InvoiceRow | null>> {
    const rows = orderIds.length
      ? await this.db.select().from(invoices).where(and(anyOf(invoices.orderId, [...new Set(orderIds)]), eq(invoices.kind, 'INVOICE')))
      : [];
    const byOrder = new Map(rows.map((row) => [row.orderId, row]));
    return orderIds.map((id) => byOrder.get(id) ?? null);
  }

  /** Credit notes of many invoices in one query, oldest first. */
  async creditNotesOf(invoiceIds: readonly string[]): Promise<InvoiceRow[][]> {
    const rows = await this.db
      .select()
      .from(invoices)
      .where(anyOf(invoices.invoiceId, [...new Set(invoiceIds)]))
      .orderBy(asc(invoices.sequence));
    return invoiceIds.map((id) => rows.filter((row) => row.invoiceId === id));
  }

  /** The invoice of an order (any kind: its credit notes are listed on it). */
  async invoiceOfOrder(orderId: string): Promise<InvoiceRow | null> {
    return (await this.invoicesOfOrders([orderId]))[0]!;
  }

  /** An order's invoice as a PDF attachment (notifications); null when there is none. */
  async pdfOfOrder(orderId: string): Promise<{ number: string; filename: string; pdfBase64: string } | null> {
    if (!isUuid(orderId)) return null;
    const invoice = await this.invoiceOfOrder(orderId.toLowerCase());
    if (!invoice) return null;
    const pdf = await renderInvoicePdf(invoice);
    return { number: invoice.number, filename: `${invoice.number}.pdf`, pdfBase64: pdf.toString('base64') };
  }

  async byId(id: string): Promise<InvoiceRow | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db.select().from(invoices).where(eq(invoices.id, id));
    return row ?? null;
  }

  /** A download link valid for `urlTtlSeconds`: the document id and expiry, signed. */
  downloadUrl(document: Pick<InvoiceRow, 'id'>, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + this.settings.urlTtlSeconds;
    const query = new URLSearchParams({ id: document.id, expires: String(expires), signature: this.sign(document.id, expires) });
    return `${this.settings.publicUrl}${INVOICE_DOWNLOAD_PATH}?${query}`;
  }

  /** Whether a download link's signature is ours and it has not expired. */
  verifyDownload(id: string, expires: string, signature: string, now = Date.now()): boolean {
    const at = Number(expires);
    if (!Number.isInteger(at) || at < Math.floor(now / 1000)) return false;
    const expected = Buffer.from(this.sign(id, at));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.settings.signingKey).update(`${id}.${expires}`).digest('base64url');
  }

  /** Takes the next number of `kind` this year (row-locked until the caller's transaction ends) and inserts. */
  private async insert(
    tx: Tx,
    kind: 'INVOICE' | 'CREDIT_NOTE',
    payment: PaymentRow,
    document: { total: number; tax: number; details: InvoiceDetails; refundId?: string; invoiceId?: string },
  ): Promise<InvoiceRow> {
    const year = new Date().getUTCFullYear();
    const [next] = await tx
      .insert(invoiceSequences)
      .values({ kind, year, last: 1 })
      .onConflictDoUpdate({ target: [invoiceSequences.kind, invoiceSequences.year], set: { last: sql`${invoiceSequences.last} + 1` } })
      .returning({ last: invoiceSequences.last });
    const sequence = next!.last;
    const [row] = await tx
      .insert(invoices)
      .values({
        kind,
        number: `${PREFIX[kind]}-${year}-${String(sequence).padStart(6, '0')}`,
        year,
        sequence,
        orderId: payment.orderId,
        paymentId: payment.id,
        customerId: payment.customerId,
        currency: payment.currency,
        ...document,
      })
      .returning();
    return row!;
  }
}
