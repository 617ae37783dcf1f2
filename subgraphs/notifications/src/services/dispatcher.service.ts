import type { Database, Logger } from '@shopgraph/kit';
import { and, eq, ne, sql } from 'drizzle-orm';
import { PermanentDeliveryError } from '../channels/errors.ts';
import type { EmailChannel } from '../channels/email.ts';
import type { SmsChannel } from '../channels/sms.ts';
import type { WebhookChannel } from '../channels/webhook.ts';
import { deliveries, deliveryAttempts, type DeliveryRow, type schema } from '../db/schema.ts';
import type { WebhooksService } from './webhooks.service.ts';

type Db = Database<typeof schema>;

export type DispatchOutcome = 'sent' | 'already-sent' | 'missing' | 'not-pending';

/**
 * Sends one delivery and records the attempt. A delivery already SENT is never sent again (the job may run
 * twice: queues are at least once, a killed worker's job is taken up again). Every attempt is logged with
 * its error; the row is FAILED while attempts remain and DEAD after the last one (or at once, for a
 * permanent failure).
 */
export class DispatcherService {
  constructor(
    private readonly db: Db,
    private readonly deps: {
      email: EmailChannel;
      sms: SmsChannel | null;
      webhook: WebhookChannel;
      webhooks: WebhooksService;
      logger: Logger;
      /** Test-only fault hook: called right before a message leaves. */
      beforeSend?: (row: DeliveryRow) => void;
    },
  ) {}

  /** `finalAttempt`: whether the queue will give up when this attempt fails. */
  async dispatch(deliveryId: string, finalAttempt: boolean): Promise<DispatchOutcome> {
    const [row] = await this.db.select().from(deliveries).where(eq(deliveries.id, deliveryId));
    if (!row) return 'missing';
    if (row.status === 'SENT') return 'already-sent';
    if (row.status === 'DEAD') return 'not-pending';
    const attempt = row.attempts + 1;
    try {
      this.deps.beforeSend?.(row);
      await this.send(row);
    } catch (error) {
      const permanent = error instanceof PermanentDeliveryError;
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      await this.record(row.id, attempt, { ok: false, error: message, status: permanent || finalAttempt ? 'DEAD' : 'FAILED' });
      throw error;
    }
    await this.record(row.id, attempt, { ok: true, error: null, status: 'SENT' });
    return 'sent';
  }

  private async send(row: DeliveryRow): Promise<void> {
    const content = row.content;
    switch (content.kind) {
      case 'email':
        return this.deps.email.send(row.id, row.eventId, content);
      case 'sms':
        if (!this.deps.sms) throw new PermanentDeliveryError('SMS is not configured (SMS_API_URL, SMS_ACCOUNT_SID, SMS_AUTH_TOKEN, SMS_FROM)');
        return this.deps.sms.send(content);
      case 'webhook': {
        const secret = await this.deps.webhooks.secretOf(content.endpointId);
        if (secret === null) throw new PermanentDeliveryError('The webhook endpoint was deleted');
        return this.deps.webhook.send(content, row.eventId, secret);
      }
    }
  }

  private async record(id: string, attempt: number, result: { ok: boolean; error: string | null; status: 'SENT' | 'FAILED' | 'DEAD' }): Promise<void> {
    const now = new Date();
    // One statement (atomic, one round trip): the attempt's log row and the delivery's new state.
    const logged = this.db.$with('logged').as(
      this.db.insert(deliveryAttempts).values({ deliveryId: id, attempt, ok: result.ok, error: result.error, at: now }).returning({ id: deliveryAttempts.id }),
    );
    await this.db
      .with(logged)
      .update(deliveries)
      .set({
        status: result.status,
        attempts: sql`${deliveries.attempts} + 1`,
        updatedAt: now,
        ...(result.ok ? { sentAt: now } : { lastError: result.error }),
      })
      .where(and(eq(deliveries.id, id), ne(deliveries.status, 'SENT')));
  }
}
