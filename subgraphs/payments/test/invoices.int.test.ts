import { errorCode, gql } from '@shopgraph/kit/testing';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOk, newCapture, type PaymentsFixture, refund, startPayments, viewerCaller } from './fixture.ts';

/** Invoices and credit notes: issued with the capture / refund, numbered without gaps, rendered as PDF. */

let f: PaymentsFixture;
beforeAll(async () => {
  f = await startPayments();
});
afterAll(() => f?.stop());

const YEAR = new Date().getUTCFullYear();

/** What checkout sends: two lines shipped to France, EUR prices including VAT (20 % and 5.5 %). */
function invoiceDetails(orderNumber: string) {
  return {
    orderNumber,
    buyer: { name: 'Ada Lovelace', line1: '12 rue de Rivoli', city: 'Paris', postalCode: '75004', country: 'FR' },
    lines: [
      { description: 'Wool scarf', sku: 'SCARF-1', quantity: 3, unitPrice: 1999, lineTotal: 5997, discount: 0, taxRate: 20, tax: 1000 },
      { description: 'Cookbook', sku: 'BOOK-7', quantity: 2, unitPrice: 1000, lineTotal: 2000, discount: 0, taxRate: 5.5, tax: 104 },
    ],
    subtotal: 7997,
    discount: 0,
    shippingCost: 490,
    totalTax: 1104,
    pricesIncludeTax: true,
  };
}

async function paidOrder(orderNumber = `SG-${Math.floor(Math.random() * 1e6)}`) {
  const input = newCapture(f, { amount: 8487, invoice: invoiceDetails(orderNumber) } as never);
  const result = await captureOk(f, input);
  expect(result.outcome).toBe('CAPTURED');
  return input.orderId;
}

const INVOICE = `invoice { id number issuedAt total { amount } totalTax { amount } downloadUrl creditNotes { number amount { amount } totalTax { amount } downloadUrl } }`;

async function invoiceOf(orderId: string, caller = f.internal) {
  const res = await caller(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { ${INVOICE} } } }`, { r: [{ __typename: 'Order', id: orderId }] });
  expect(res.errors).toBeUndefined();
  return res.data!._entities[0].invoice;
}

/** Downloads a document through the router's origin, as a browser following the link would. */
async function download(url: string) {
  return fetch(new URL(url, f.stack.url));
}

async function pdfText(url: string): Promise<string> {
  const res = await download(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  const parser = new PDFParse({ data: new Uint8Array(await res.arrayBuffer()) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

describe('invoices', () => {
  it('issues an invoice when the payment is captured, with seller, buyer, lines with VAT and totals in the PDF', async () => {
    const orderId = await paidOrder('SG-000777');
    const invoice = await invoiceOf(orderId);
    expect(invoice).toMatchObject({ number: expect.stringMatching(new RegExp(`^INV-${YEAR}-\\d{6}$`)), total: { amount: 8487 }, totalTax: { amount: 1104 }, creditNotes: [] });
    const text = await pdfText(invoice.downloadUrl);
    for (const expected of [
      'INVOICE',
      invoice.number,
      'SG-000777',
      'shopgraph demo shop',
      'DE123456789',
      'Ada Lovelace',
      '12 rue de Rivoli',
      '75004 Paris',
      'Wool scarf',
      'Cookbook',
      '€19.99',
      '20%',
      '5.5%',
      '€10.00',
      '€1.04',
      '€79.97',
      '€4.90',
      'VAT included',
      '€11.04',
      'Total paid',
      '€84.87',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('numbers invoices without gaps or duplicates when many orders are paid at once', async () => {
    const before = await f.sql<Array<{ last: number }>>`select last from invoice_sequences where kind = 'INVOICE' and year = ${YEAR}`;
    const start = before[0]?.last ?? 0;
    const orders = await Promise.all(Array.from({ length: 25 }, () => paidOrder()));
    const numbers = await Promise.all(orders.map(async (orderId) => (await invoiceOf(orderId)).number as string));
    const sequences = numbers.map((n) => Number(n.split('-')[2])).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 25 }, (_, i) => start + i + 1));
    // A repeated capture issues nothing new.
    await captureOk(f, { ...newCapture(f, { amount: 8487 }), orderId: orders[0]!, invoice: invoiceDetails('SG-1') } as never).catch(() => {});
    const [{ count }] = (await f.sql`select count(*)::int from invoices where order_id = ${orders[0]!}`) as unknown as [{ count: number }];
    expect(count).toBe(1);
  });

  it('issues a credit note per refund whose VAT is its share of the invoice’s, numbered without gaps', async () => {
    const orderId = await paidOrder();
    // Concurrent partial refunds queue on the payment's lock; each gets its own credit note.
    const results = await Promise.all([1000, 2000, 3000].map((amount) => refund(f, { orderId, amount })));
    for (const res of results) expect(res.errors).toBeUndefined();
    const rest = await refund(f, { orderId });
    expect(rest.data!.refundPayment.status).toBe('REFUNDED');
    const invoice = await invoiceOf(orderId);
    const notes = invoice.creditNotes as Array<{ number: string; amount: { amount: number }; totalTax: { amount: number }; downloadUrl: string }>;
    expect(notes.map((n) => n.amount.amount).sort((a, b) => a - b)).toEqual([1000, 2000, 2487, 3000]);
    const sequences = notes.map((n) => Number(n.number.split('-')[2]));
    expect(new Set(sequences).size).toBe(4);
    expect(Math.max(...sequences) - Math.min(...sequences)).toBe(3);
    // 10.00 of 84.87 holds 1.30 of its 11.04 VAT (130.08 rounded); the last credits what is left, so all add up.
    expect(notes.find((n) => n.amount.amount === 1000)!.totalTax.amount).toBe(130);
    expect(notes.reduce((sum, n) => sum + n.totalTax.amount, 0)).toBe(1104);
    const text = await pdfText(notes.find((n) => n.amount.amount === 1000)!.downloadUrl);
    for (const expected of ['CREDIT NOTE', invoice.number, 'Ada Lovelace', 'VAT credited', '€1.30', 'Total credited', '€10.00', 'customer returned the goods']) {
      expect(text).toContain(expected);
    }
  });

  it('shows the invoice only to the order’s customer and admins, and refuses links that are tampered with or expired', async () => {
    const orderId = await paidOrder();
    expect(await invoiceOf(orderId, viewerCaller(f, { userId: f.customers[0]!.id, role: 'CUSTOMER' }))).not.toBeNull();
    expect(await invoiceOf(orderId, viewerCaller(f, { userId: f.admin.id, role: 'ADMIN' }))).not.toBeNull();
    expect(await invoiceOf(orderId, viewerCaller(f, { userId: f.customers[1]!.id, role: 'CUSTOMER' }))).toBeNull();
    expect(await invoiceOf(orderId, viewerCaller(f, null))).toBeNull();

    const { downloadUrl } = await invoiceOf(orderId);
    const url = new URL(downloadUrl, f.stack.url);
    const tampered = new URL(url);
    tampered.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    const expired = f.built.invoices.downloadUrl({ id: url.searchParams.get('id')! }, Date.now() - 3_600_000);
    const unsigned = new URL(url);
    unsigned.searchParams.delete('signature');
    for (const bad of [tampered.toString(), expired, unsigned.toString()]) {
      const res = await download(bad);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/json');
    }
  });

  it('gives notifications the PDF of an order’s invoice, and nobody else', async () => {
    const orderId = await paidOrder();
    const QUERY = 'query($orderId: ID!) { invoicePdf(orderId: $orderId) { number filename pdfBase64 } }';
    const res = await f.internal(QUERY, { orderId });
    expect(res.errors).toBeUndefined();
    const { number, filename, pdfBase64 } = res.data!.invoicePdf;
    expect(filename).toBe(`${number}.pdf`);
    expect(Buffer.from(pdfBase64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    expect((await f.internal(QUERY, { orderId: '00000000-0000-4000-8000-000000000000' })).data!.invoicePdf).toBeNull();
    expect(errorCode(await viewerCaller(f, { userId: f.admin.id, role: 'ADMIN' })(QUERY, { orderId }))).toBe('FORBIDDEN');
    // And it is not in the public graph.
    expect(errorCode(await gql(f.stack.url, QUERY, { orderId }, { token: f.admin.token }))).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('issues no invoice for a payment without invoice details, and refuses bad details writing nothing', async () => {
    const input = newCapture(f);
    expect((await captureOk(f, input)).outcome).toBe('CAPTURED');
    expect(await invoiceOf(input.orderId)).toBeNull();
    const bad = newCapture(f, { invoice: { ...invoiceDetails('SG-2'), lines: [] } } as never);
    const res = await f.internal(`mutation($input: CapturePaymentInput!) { capturePayment(input: $input) { outcome } }`, { input: bad });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    const [{ count }] = (await f.sql`select count(*)::int from payments where order_id = ${bad.orderId}`) as unknown as [{ count: number }];
    expect(count).toBe(0);
  });
});
