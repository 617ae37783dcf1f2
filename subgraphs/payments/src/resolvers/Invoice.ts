import { money } from '@shopgraph/kit';
import type { CreditNoteResolvers, InvoiceResolvers } from '../__generated__/resolvers-types.ts';

export const Invoice: InvoiceResolvers = {
  total: (invoice) => money(invoice.total, invoice.currency),
  totalTax: (invoice) => money(invoice.tax, invoice.currency),
  // Signed per request: a link handed out is valid for minutes only.
  downloadUrl: (invoice, _args, ctx) => ctx.invoices.downloadUrl(invoice),
  creditNotes: (invoice, _args, ctx) => ctx.loaders.creditNotes.load(invoice.id),
};

export const CreditNote: CreditNoteResolvers = {
  amount: (note) => money(note.total, note.currency),
  totalTax: (note) => money(note.tax, note.currency),
  downloadUrl: (note, _args, ctx) => ctx.invoices.downloadUrl(note),
};
