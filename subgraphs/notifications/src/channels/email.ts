import nodemailer from 'nodemailer';
import type { DeliveryContent } from '../db/schema.ts';
import type { MailAttachment } from '../services/invoice-attachments.ts';

export type EmailContent = Extract<DeliveryContent, { kind: 'email' }>;

/**
 * Sends email over SMTP (`SMTP_URL`) through a small connection pool. Every message has a deterministic
 * Message-ID (`<delivery id>@domain`): should a crash between "sent" and "recorded" ever make a delivery
 * go out twice, the copies are recognisable as one message (and many mail stores fold them).
 */
export class EmailChannel {
  private readonly transport;

  constructor(private readonly options: { smtpUrl: string; from: string; poolSize: number; messageIdDomain: string }) {
    this.transport = nodemailer.createTransport({
      url: options.smtpUrl,
      pool: true,
      maxConnections: options.poolSize,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
  }

  messageId(deliveryId: string): string {
    return `<${deliveryId}@${this.options.messageIdDomain}>`;
  }

  async send(deliveryId: string, eventId: string, content: EmailContent, attachments: MailAttachment[] = []): Promise<void> {
    await this.transport.sendMail({
      from: this.options.from,
      to: content.to,
      subject: content.subject,
      text: content.text,
      html: content.html,
      attachments,
      messageId: this.messageId(deliveryId),
      headers: { 'X-Shopgraph-Delivery-Id': deliveryId, 'X-Shopgraph-Event-Id': eventId },
    });
  }

  close(): void {
    this.transport.close();
  }
}
