import { z } from 'zod';

/** One line of an invoice, as checkout priced it (minor units; `taxRate` in percent). */
const invoiceLine = z.object({
  description: z.string().trim().min(1).max(300),
  sku: z.string().trim().max(100).nullish(),
  quantity: z.number().int().min(1),
  unitPrice: z.number().int().min(0),
  lineTotal: z.number().int().min(0),
  discount: z.number().int().min(0),
  taxRate: z.number().min(0).max(100),
  tax: z.number().int().min(0),
});

export const invoiceParty = z.object({
  name: z.string().trim().min(1).max(200),
  line1: z.string().trim().max(200),
  line2: z.string().trim().max(200).nullish(),
  city: z.string().trim().max(100),
  region: z.string().trim().max(100).nullish(),
  postalCode: z.string().trim().max(20),
  country: z.string().trim().length(2),
  email: z.string().trim().max(320).nullish(),
  vatId: z.string().trim().max(40).nullish(),
});

/** What checkout tells payments to put on an order's invoice (CapturePaymentInput.invoice). */
export const invoiceDetailsInput = z.object({
  orderNumber: z.string().trim().min(1).max(40),
  buyer: invoiceParty,
  lines: z.array(invoiceLine).min(1).max(100),
  subtotal: z.number().int().min(0),
  discount: z.number().int().min(0),
  shippingCost: z.number().int().min(0),
  totalTax: z.number().int().min(0),
  pricesIncludeTax: z.boolean(),
});

export type InvoiceDetailsInput = z.infer<typeof invoiceDetailsInput>;
export type InvoiceParty = z.infer<typeof invoiceParty>;

/**
 * The snapshot a document is rendered from: checkout's details plus the seller and, for a credit note, what
 * it credits and which invoice it corrects.
 */
export interface InvoiceDetails extends InvoiceDetailsInput {
  seller: InvoiceParty;
  currency: string;
  /** Gross total of the document. */
  total: number;
  credit?: { invoiceNumber: string; amount: number; tax: number; reason: string };
}
