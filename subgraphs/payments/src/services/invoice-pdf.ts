import { formatMoney } from '@shopgraph/kit';
import PDFDocument from 'pdfkit';
import type { InvoiceRow } from '../db/schema.ts';
import type { InvoiceParty } from './invoice-details.ts';

const MARGIN = 50;
const WIDTH = 595.28 - 2 * MARGIN;
const GREY = '#555555';

/** The lines of an address block. */
function addressLines(party: InvoiceParty): string[] {
  return [
    party.name,
    party.line1,
    party.line2,
    [party.postalCode, party.city].filter(Boolean).join(' '),
    [party.region, party.country].filter(Boolean).join(', '),
    party.email,
    party.vatId ? `VAT ID ${party.vatId}` : null,
  ].filter((line): line is string => !!line && line.trim() !== '');
}

/**
 * Renders an invoice or credit note as an A4 PDF (pdfkit, built-in Helvetica, so no font files ship): seller
 * and buyer, number and dates, one row per line with its VAT rate and VAT, and the totals. Deterministic for a
 * given document (creation date = issue date), so the same document always renders the same bytes.
 */
export function renderInvoicePdf(document: InvoiceRow): Promise<Buffer> {
  const d = document.details;
  const money = (amount: number) => formatMoney(amount, document.currency);
  const isCredit = document.kind === 'CREDIT_NOTE';
  const pdf = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `${isCredit ? 'Credit note' : 'Invoice'} ${document.number}`, Author: d.seller.name, CreationDate: document.issuedAt },
  });
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  // Header: seller on the left, title and numbers on the right.
  pdf.font('Helvetica-Bold').fontSize(16).text(d.seller.name, MARGIN, MARGIN);
  pdf.font('Helvetica').fontSize(9).fillColor(GREY).text(addressLines(d.seller).slice(1).join('\n'), MARGIN, MARGIN + 22);
  pdf.fillColor('black').font('Helvetica-Bold').fontSize(20).text(isCredit ? 'CREDIT NOTE' : 'INVOICE', MARGIN, MARGIN, { width: WIDTH, align: 'right' });
  const meta: Array<[string, string]> = [
    [isCredit ? 'Credit note no.' : 'Invoice no.', document.number],
    ['Date', document.issuedAt.toISOString().slice(0, 10)],
    ['Order', d.orderNumber],
    ...(d.credit ? ([['Corrects invoice', d.credit.invoiceNumber]] as Array<[string, string]>) : []),
  ];
  let y = MARGIN + 30;
  for (const [label, value] of meta) {
    pdf.font('Helvetica').fontSize(9).fillColor(GREY).text(label, MARGIN + WIDTH - 220, y, { width: 100, align: 'right' });
    pdf.font('Helvetica-Bold').fillColor('black').text(value, MARGIN + WIDTH - 110, y, { width: 110, align: 'right' });
    y += 14;
  }

  // Buyer.
  y = Math.max(y, MARGIN + 110) + 10;
  pdf.font('Helvetica').fontSize(9).fillColor(GREY).text(isCredit ? 'Credited to' : 'Billed to', MARGIN, y);
  pdf.font('Helvetica').fontSize(10).fillColor('black').text(addressLines(d.buyer).join('\n'), MARGIN, y + 13);
  y = pdf.y + 25;

  if (d.credit) {
    pdf.font('Helvetica').fontSize(10).text(`Refund of ${money(d.credit.amount)} on invoice ${d.credit.invoiceNumber}: ${d.credit.reason}`, MARGIN, y, { width: WIDTH });
    y = pdf.y + 15;
  }

  // Lines.
  const columns = [
    { title: 'Item', x: MARGIN, width: 175, align: 'left' as const },
    { title: 'Qty', x: MARGIN + 175, width: 30, align: 'right' as const },
    { title: 'Unit price', x: MARGIN + 210, width: 60, align: 'right' as const },
    { title: 'Discount', x: MARGIN + 275, width: 55, align: 'right' as const },
    { title: 'VAT rate', x: MARGIN + 335, width: 42, align: 'right' as const },
    { title: 'VAT', x: MARGIN + 382, width: 50, align: 'right' as const },
    { title: 'Amount', x: MARGIN + 437, width: WIDTH - 437, align: 'right' as const },
  ];
  const PAGE_BOTTOM = 841.89 - MARGIN;
  /** Starts a new page (with the column titles again) when `height` more points do not fit on this one. */
  const ensureSpace = (height: number, repeatTitles: boolean) => {
    if (y + height <= PAGE_BOTTOM) return;
    pdf.addPage();
    y = MARGIN;
    if (repeatTitles) row(columns.map((c) => c.title), true);
  };
  const row = (cells: string[], bold = false) => {
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(9).fillColor('black');
    const top = y;
    let bottom = y;
    cells.forEach((cell, i) => {
      const c = columns[i]!;
      pdf.text(cell, c.x, top, { width: c.width, align: c.align });
      bottom = Math.max(bottom, pdf.y);
    });
    y = bottom + 6;
  };
  row(columns.map((c) => c.title), true);
  pdf.moveTo(MARGIN, y - 3).lineTo(MARGIN + WIDTH, y - 3).strokeColor('#999999').lineWidth(0.5).stroke();
  for (const line of d.lines) {
    ensureSpace(30, true);
    row([
      line.sku ? `${line.description}\n${line.sku}` : line.description,
      String(line.quantity),
      money(line.unitPrice),
      line.discount ? `-${money(line.discount)}` : '',
      `${line.taxRate}%`,
      money(line.tax),
      money(line.lineTotal - line.discount),
    ]);
  }
  pdf.moveTo(MARGIN, y - 3).lineTo(MARGIN + WIDTH, y - 3).stroke();

  // Totals.
  y += 6;
  ensureSpace(90, false);
  const totals: Array<[string, string, boolean]> = d.credit
    ? [
        ['Credited excl. VAT', money(d.credit.amount - d.credit.tax), false],
        ['VAT credited', money(d.credit.tax), false],
        ['Total credited', money(d.credit.amount), true],
      ]
    : [
        [d.pricesIncludeTax ? 'Subtotal (incl. VAT)' : 'Subtotal (excl. VAT)', money(d.subtotal), false],
        ...(d.discount ? ([['Discount', `-${money(d.discount)}`, false]] as Array<[string, string, boolean]>) : []),
        ...(d.pricesIncludeTax ? [] : ([['VAT', money(d.totalTax), false]] as Array<[string, string, boolean]>)),
        ['Shipping', money(d.shippingCost), false],
        ['Total paid', money(document.total), true],
      ];
  for (const [label, value, bold] of totals) {
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(bold ? 11 : 9);
    pdf.text(label, MARGIN + WIDTH - 250, y, { width: 150, align: 'right' });
    pdf.text(value, MARGIN + WIDTH - 100, y, { width: 100, align: 'right' });
    y += bold ? 18 : 14;
  }

  // VAT summary per rate: the taxable amount and the VAT of each rate, as EU invoices must show.
  if (!d.credit) {
    const byRate = new Map<number, { base: number; tax: number }>();
    for (const line of d.lines) {
      const entry = byRate.get(line.taxRate) ?? { base: 0, tax: 0 };
      const amount = line.lineTotal - line.discount;
      entry.base += d.pricesIncludeTax ? amount - line.tax : amount;
      entry.tax += line.tax;
      byRate.set(line.taxRate, entry);
    }
    y += 10;
    ensureSpace(14 * (byRate.size + 2) + 40, false);
    pdf.font('Helvetica-Bold').fontSize(9).text('VAT summary', MARGIN, y);
    y += 14;
    for (const [rate, { base, tax }] of [...byRate].sort((a, b) => b[0] - a[0])) {
      pdf.font('Helvetica').fontSize(9).text(`VAT ${rate}% on ${money(base)}`, MARGIN, y, { width: 250 });
      pdf.text(money(tax), MARGIN + 250, y, { width: 60, align: 'right' });
      y += 13;
    }
    pdf.font('Helvetica-Bold').text(d.pricesIncludeTax ? 'VAT included' : 'VAT total', MARGIN, y, { width: 250 });
    pdf.text(money(d.totalTax), MARGIN + 250, y, { width: 60, align: 'right' });
    y += 13;
  }

  pdf.font('Helvetica').fontSize(8).fillColor(GREY);
  pdf.text(
    `${d.pricesIncludeTax ? 'Prices include VAT.' : 'VAT is added to the prices.'} VAT at the rates of ${d.buyer.country}; shipping is not subject to VAT here. ` +
      `${isCredit ? 'Refunded to the card the order was paid with.' : 'Paid by card.'} Amounts in ${document.currency}.`,
    MARGIN,
    y + 20,
    { width: WIDTH },
  );
  pdf.end();
  return done;
}
