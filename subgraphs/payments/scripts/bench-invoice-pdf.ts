/**
 * What rendering an invoice PDF costs payments (it renders on every download and every confirmation email):
 *   node --import tsx subgraphs/payments/scripts/bench-invoice-pdf.ts [--count 300]
 * Prints CPU-ms per PDF (from /proc, this process) for the 3-line example invoice and a 40-line one, and bytes.
 */
import { numberArg, processCpuSeconds } from '../../../scripts/lib/bench.ts';
import { renderInvoicePdf } from '../src/services/invoice-pdf.ts';
import { example } from './invoice-example.ts';

const count = numberArg('count', 300);
const long = {
  ...example,
  details: { ...example.details, lines: Array.from({ length: 40 }, (_, i) => ({ ...example.details.lines[i % 3]!, description: `${example.details.lines[i % 3]!.description} #${i + 1}` })) },
};

async function measure(label: string, document: typeof example) {
  await renderInvoicePdf(document); // warm-up: fonts, JIT
  const before = processCpuSeconds(process.pid);
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes = (await renderInvoicePdf(document)).length;
  const cpuMs = ((processCpuSeconds(process.pid) - before) * 1000) / count;
  console.log(`${label}: ${cpuMs.toFixed(2)} CPU-ms per PDF, ${bytes} bytes (${count} renders)`);
  return cpuMs;
}

const short = await measure('3-line invoice', example);
const longMs = await measure('40-line invoice', long);
console.log(`40 lines cost ${(longMs / short).toFixed(2)}x 3 lines`);
