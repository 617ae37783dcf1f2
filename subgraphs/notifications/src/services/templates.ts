import { readFileSync } from 'node:fs';
import type { EventType } from './event-types.ts';

/**
 * Message templates live in `templates/` (the email layouts as .txt and .html, the per-event wording in
 * messages.json) and are rendered with a small mustache subset: `{{name}}` (dotted paths), sections
 * `{{#name}}…{{/name}}` (repeated for a list, shown once for any other truthy value) and `{{^name}}…{{/name}}`.
 * In HTML every value is escaped: product names and addresses are customer or admin input.
 */

type View = Record<string, unknown>;

const templatesDir = new URL('../../templates/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, templatesDir), 'utf8');

const layouts = { text: read('email.txt'), html: read('email.html') };
const wording = JSON.parse(read('messages.json')) as Record<EventType, { subject: string; headline: string; intro: string; sms: string }>;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

function lookup(stack: View[], path: string): unknown {
  const [head, ...rest] = path.split('.');
  for (let i = stack.length - 1; i >= 0; i -= 1) {
    const scope = stack[i]!;
    if (scope && typeof scope === 'object' && head! in scope) {
      return rest.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as View)[key] : undefined), scope[head!]);
    }
  }
  return undefined;
}

const SECTION = /\{\{([#^])([\w.]+)\}\}\n?([\s\S]*?)\{\{\/\2\}\}\n?/g;
const VARIABLE = /\{\{\s*([\w.]+)\s*\}\}/g;

/** Renders `template` with `view`; `escape` is applied to every value (identity for plain text). */
export function render(template: string, view: View, escape: (s: string) => string = (s) => s, stack: View[] = [view]): string {
  const withSections = template.replace(SECTION, (_all, kind: string, name: string, body: string) => {
    const value = lookup(stack, name);
    const truthy = Array.isArray(value) ? value.length > 0 : Boolean(value);
    if (kind === '^') return truthy ? '' : render(body, view, escape, stack);
    if (!truthy) return '';
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => render(body, view, escape, [...stack, typeof item === 'object' && item !== null ? (item as View) : {}])).join('');
  });
  return withSections.replace(VARIABLE, (_all, name: string) => {
    const value = lookup(stack, name);
    return value === undefined || value === null ? '' : escape(String(value));
  });
}

/** What a message about an order says: formatted money, the lines, the address. */
export interface OrderView {
  customerName: string;
  orderNumber: string;
  reason: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  lines: Array<{ name: string; sku: string; quantity: number; unitPrice: string; lineTotal: string }>;
  subtotal: string;
  discount: string;
  hasDiscount: boolean;
  shippingCost: string;
  total: string;
  address: {
    recipientName: string | null;
    line1: string;
    line2: string | null;
    city: string;
    region: string | null;
    postalCode: string;
    country: string;
  } | null;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** The email about `type`: subject, plain-text and HTML parts. */
export function renderEmail(type: EventType, view: OrderView): RenderedEmail {
  const words = wording[type];
  const plain = (template: string) => render(template, view as unknown as View);
  // Wording is rendered as plain text first, then placed into each layout, which escapes it for HTML.
  const subject = plain(words.subject).replace(/[\r\n]+/g, ' ');
  const full = { ...view, subject, headline: plain(words.headline), intro: plain(words.intro) };
  return {
    subject,
    text: render(layouts.text, full).replace(/\n{3,}/g, '\n\n'),
    html: render(layouts.html, full, escapeHtml),
  };
}

/** The text message about `type` (short: one SMS segment where possible). */
export function renderSms(type: EventType, view: OrderView): string {
  return render(wording[type].sms, view as unknown as View).slice(0, 320);
}
