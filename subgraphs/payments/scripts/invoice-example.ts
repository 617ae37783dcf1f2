/**
 * Renders an example invoice to a PDF (docs/invoice-example.png is its first page):
 *   node --import tsx subgraphs/payments/scripts/invoice-example.ts /tmp/invoice.pdf
 *   pdftoppm -png -r 80 -singlefile /tmp/invoice.pdf docs/invoice-example
 */
import { writeFileSync } from 'node:fs';
import type { InvoiceRow } from '../src/db/schema.ts';
import { renderInvoicePdf } from '../src/services/invoice-pdf.ts';

export const example: InvoiceRow = {
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'INVOICE',
  number: 'INV-2026-000042',
  year: 2026,
  sequence: 42,
  orderId: '00000000-0000-4000-8000-000000000002',
  paymentId: '00000000-0000-4000-8000-000000000003',
  refundId: null,
  invoiceId: null,
  customerId: '00000000-0000-4000-8000-000000000004',
  currency: 'EUR',
  total: 9_027,
  tax: 1_194,
  issuedAt: new Date('2026-12-01T14:30:00Z'),
  details: {
    orderNumber: 'SG-000137',
    seller: { name: 'shopgraph demo shop', line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE', email: 'billing@example.com', vatId: 'DE123456789' },
    buyer: { name: 'Ada Lovelace', line1: '12 rue de Rivoli', line2: 'Bâtiment B', city: 'Paris', postalCode: '75004', country: 'FR' },
    lines: [
      { description: 'Merino wool scarf, charcoal', sku: 'SCARF-MER-CH', quantity: 3, unitPrice: 1_999, lineTotal: 5_997, discount: 600, taxRate: 20, tax: 900 },
      { description: 'The French Cookbook (hardcover)', sku: 'BOOK-FR-07', quantity: 2, unitPrice: 1_450, lineTotal: 2_900, discount: 0, taxRate: 5.5, tax: 151 },
      { description: 'Espresso cup, set of 2', sku: 'CUP-ESP-2', quantity: 1, unitPrice: 850, lineTotal: 850, discount: 0, taxRate: 20, tax: 142 },
    ],
    subtotal: 9_747,
    discount: 600,
    shippingCost: 490,
    totalTax: 1_193,
    pricesIncludeTax: true,
    currency: 'EUR',
    total: 9_637,
  },
};
example.tax = example.details.totalTax;
example.total = example.details.subtotal - example.details.discount + example.details.shippingCost;

// Run as a script (not when the benchmark imports the example).
if (import.meta.url === `file://${process.argv[1]}`) writeFileSync(process.argv[2] ?? 'invoice-example.pdf', await renderInvoicePdf(example));
