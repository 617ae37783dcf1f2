import type { OrderItemRow, OrderRow } from '../db/schema.ts';

/** What payments prints on the order's invoice (CapturePaymentInput.invoice): the order as checkout priced it. */
export interface InvoiceDetails {
  orderNumber: string;
  buyer: { name: string; line1: string; line2: string | null; city: string; region: string | null; postalCode: string; country: string };
  lines: Array<{ description: string; sku: string; quantity: number; unitPrice: number; lineTotal: number; discount: number; taxRate: number; tax: number }>;
  subtotal: number;
  discount: number;
  shippingCost: number;
  totalTax: number;
  pricesIncludeTax: boolean;
}

/** The invoice details of an order and its items (payments issues the invoice when it captures). */
export function invoiceDetailsOf(order: OrderRow, items: OrderItemRow[]): InvoiceDetails {
  const address = order.shippingAddress;
  return {
    orderNumber: order.number,
    buyer: {
      name: address.recipientName?.trim() || 'Customer',
      line1: address.line1,
      line2: address.line2 ?? null,
      city: address.city,
      region: address.region ?? null,
      postalCode: address.postalCode,
      country: address.country,
    },
    lines: items.map((item) => ({
      description: item.productName,
      sku: item.sku,
      quantity: item.quantity,
      unitPrice: item.unitPrice,
      lineTotal: item.lineTotal,
      discount: item.discount,
      taxRate: item.taxRate / 100,
      tax: item.tax,
    })),
    subtotal: order.subtotal,
    discount: order.discount,
    shippingCost: order.shippingCost,
    totalTax: order.tax,
    pricesIncludeTax: order.pricesIncludeTax,
  };
}
