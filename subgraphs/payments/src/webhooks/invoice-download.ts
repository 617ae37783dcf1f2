import { type HttpRoute, type Logger, sendJson } from '@shopgraph/kit';
import { renderInvoicePdf } from '../services/invoice-pdf.ts';
import { INVOICE_DOWNLOAD_PATH, type InvoicesService } from '../services/invoices.service.ts';

/**
 * `GET /invoices?id=…&expires=…&signature=…`: an invoice or credit note as PDF. The signed, short-lived link
 * (from `Order.invoice.downloadUrl`, given only to the order's customer and admins) is the credential, so the
 * router can serve it on its own origin to a browser that follows the link without a token. An expired,
 * tampered or unknown link is 403, the same for all three so links cannot be probed.
 */
export function invoiceDownloadRoute(options: { invoices: InvoicesService; logger: Logger }): HttpRoute {
  return {
    method: 'GET',
    path: INVOICE_DOWNLOAD_PATH,
    handler: async (req, res) => {
      const query = new URL(req.url ?? '/', 'http://payments').searchParams;
      const id = query.get('id') ?? '';
      const valid = options.invoices.verifyDownload(id, query.get('expires') ?? '', query.get('signature') ?? '');
      const document = valid ? await options.invoices.byId(id) : null;
      if (!document) return sendJson(res, 403, { error: { code: 'FORBIDDEN', message: 'This download link is invalid or has expired' } });
      const pdf = await renderInvoicePdf(document);
      res.writeHead(200, {
        'content-type': 'application/pdf',
        'content-length': pdf.length,
        'content-disposition': `inline; filename="${document.number}.pdf"`,
        // Personal data: never cached by a shared cache.
        'cache-control': 'private, no-store',
      });
      res.end(pdf);
    },
  };
}
