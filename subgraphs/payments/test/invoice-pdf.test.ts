import { PDFParse } from 'pdf-parse';
import { describe, expect, it } from 'vitest';
import { example } from '../scripts/invoice-example.ts';
import { renderInvoicePdf } from '../src/services/invoice-pdf.ts';

async function textOf(pdf: Buffer) {
  const parser = new PDFParse({ data: new Uint8Array(pdf) });
  try {
    const result = await parser.getText();
    return { text: result.text, pages: result.total };
  } finally {
    await parser.destroy();
  }
}

describe('invoice PDF', () => {
  it('continues a long invoice on further pages, every line and the totals included', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => ({ ...example.details.lines[0]!, description: `Item number ${i + 1}` }));
    const { text, pages } = await textOf(await renderInvoicePdf({ ...example, details: { ...example.details, lines } }));
    expect(pages).toBeGreaterThan(2);
    for (const n of [1, 50, 100]) expect(text).toContain(`Item number ${n}`);
    expect(text).toContain('Total paid');
    expect(text).toContain('VAT summary');
  });

  it('renders the same bytes for the same document', async () => {
    expect((await renderInvoicePdf(example)).equals(await renderInvoicePdf(example))).toBe(true);
  });
});
