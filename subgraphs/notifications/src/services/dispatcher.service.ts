import { randomUUID } from 'node:crypto';
import { anyOf, type Database, type Logger } from '@shopgraph/kit';
import { counter, SpanKind, withSpan } from '@shopgraph/kit/telemetry';
import { and, eq, isNull, ne, notInArray, sql } from 'drizzle-orm';
import { PermanentDeliveryError } from '../channels/errors.ts';
import type { EmailChannel } from '../channels/email.ts';
import { batched, unnest } from './batching.ts';
import type { InvoiceAttachments, MailAttachment } from './invoice-attachments.ts';
import type { SmsChannel } from '../channels/sms.ts';
import type { WebhookChannel } from '../channels/webhook.ts';
import { deliveries, deliveryAttempts, type DeliveryRow, type schema } from '../db/schema.ts';
import type { WebhooksService } from './webhooks.service.ts';

type Db = Database<typeof schema>;

export type DispatchOutcome = 'sent' | 'already-sent' | 'missing' | 'not-pending';

/** lastError of a delivery two overlapping attempts both sent (see `record`). */
const OVERLAPPING_SENDS = 'Sent twice by overlapping attempts (a slow send outlived its claim, and another attempt sent it again): the recipient may have two copies with one Message-ID';

/** Thrown when another attempt is sending the delivery right now: the job tries again later. */
export class DeliveryBusyError extends Error {}

type Outcome = { ok: boolean; error: string | null; status: 'SENT' | 'FAILED' | 'DEAD' };

/** Delivery attempts by channel (email, sms, webhook) and the status they left the delivery in. */
const deliveryAttemptsTotal = () =>
  counter('notifications', 'shopgraph_notification_deliveries_total', 'Notification delivery attempts by channel and resulting status (SENT, FAILED: retried, DEAD)', ['channel', 'status']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends one delivery and records the attempt. A delivery already SENT is never sent again (the job may run
 * twice: queues are at least once, a killed worker's job is taken up again). Every attempt is logged with
 * its error; the row is FAILED while attempts remain and DEAD after the last one (or at once, for a
 * permanent failure).
 *
 * Exactly once in effect, as far as a sender can tell:
 * 1. The attempt claims the delivery (SENDING: `sending_claim`, `sending_since`) and commits that before the
 *    message leaves. No claim, no send: with the database away the job fails before sending anything.
 * 2. After the message left, the outcome is recorded with in-process retries and backoff for up to
 *    `recordRetryMs`, so a database that is briefly away delays the record instead of failing the job (which
 *    would send again). Should that run out, this process remembers the outcome, and the job's next attempt
 *    here records it without sending.
 * 3. A later attempt that finds another attempt's claim without an outcome knows a send may have happened. A
 *    claim younger than `claimLeaseMs` (the job lock: its owner may be alive) makes it wait (DeliveryBusyError,
 *    retried with backoff); an older one means its owner died between claiming and recording, and it sends
 *    again with the same Message-ID (`<delivery id>@…`), noting in `lastError` that the customer may have two
 *    copies. That is the one window left: a crash after the SMTP server accepted a message and before the
 *    outcome was recorded. Losing the message instead would be worse; the copy is recognisably the same one.
 */
export class DispatcherService {
  /** Outcomes this process knows but could not record yet, by delivery id, with the claim they belong to. */
  private readonly unrecorded = new Map<string, { claim: string; outcome: Outcome }>();

  constructor(
    private readonly db: Db,
    private readonly deps: {
      email: EmailChannel;
      sms: SmsChannel | null;
      webhook: WebhookChannel;
      webhooks: WebhooksService;
      /** The order's invoice PDF, attached to the payment confirmation (`order.paid`) email. */
      invoices?: InvoiceAttachments;
      logger: Logger;
      /** Test-only fault hook: called right before a message leaves. */
      beforeSend?: (row: DeliveryRow) => void;
      /** Test-only fault hook: called right after a message left, before its outcome is recorded. */
      afterSend?: (row: DeliveryRow) => Promise<void>;
      /** How long a claim may belong to a live attempt (the job lock); default 30 s. */
      claimLeaseMs?: number;
      /** How long to keep retrying an outcome's record while the database is away; default 60 s. */
      recordRetryMs?: number;
    },
  ) {}

  /** `finalAttempt`: whether the queue will give up when this attempt fails. */
  async dispatch(deliveryId: string, finalAttempt: boolean): Promise<DispatchOutcome> {
    // The usual case, a delivery nobody has claimed: claim it and read it in one statement (shared by the jobs
    // that start together).
    const fresh = await this.claimUnclaimed(deliveryId);
    if (fresh) return this.sendClaimed(fresh, fresh.sendingClaim!, fresh.attempts + 1, null, finalAttempt);

    const [row] = await this.db.select().from(deliveries).where(eq(deliveries.id, deliveryId));
    if (!row) return 'missing';
    if (row.status === 'SENT') return 'already-sent';
    if (row.status === 'DEAD') return 'not-pending';
    let attempt = row.attempts + 1;
    let seenClaim = row.sendingClaim;
    const known = this.unrecorded.get(row.id);
    if (known && known.claim === seenClaim) {
      // This process sent it (or failed to) and could not record that: record it now, never send again.
      await this.recordWithRetries(row.id, known.claim, attempt, known.outcome);
      this.unrecorded.delete(row.id);
      if (known.outcome.ok) return 'sent';
      attempt += 1;
      seenClaim = null;
    }
    let resentNote: string | null = null;
    if (seenClaim) {
      const age = Date.now() - (row.sendingSince?.getTime() ?? 0);
      if (age < (this.deps.claimLeaseMs ?? 30_000)) throw new DeliveryBusyError(`Another attempt is sending this delivery (claimed ${Math.round(age / 1000)} s ago)`);
      resentNote = `Sent again after an attempt stopped between claiming and recording it (claimed at ${row.sendingSince?.toISOString()}): the recipient may have two copies with one Message-ID`;
      this.deps.logger.warn({ deliveryId: row.id, claimedAt: row.sendingSince }, 'delivery outcome unknown after a stopped attempt; sending again with the same Message-ID');
    }
    const claimed = await this.claim(row.id, seenClaim);
    if (!claimed) throw new DeliveryBusyError('The delivery changed while this attempt claimed it');
    return this.sendClaimed(claimed.row, claimed.claim, attempt, resentNote, finalAttempt);
  }

  /**
   * Claims each of the deliveries that is neither SENT nor DEAD and has no claim, and returns it as claimed (its
   * claim a fresh uuid); null for the others. An id asked for twice in one batch is claimed for the first only.
   */
  private readonly claimUnclaimed = batched(async (ids: readonly string[]): Promise<Array<DeliveryRow | null>> => {
    const rows = await this.db
      .update(deliveries)
      .set({ sendingClaim: sql`gen_random_uuid()`, sendingSince: new Date() })
      .where(and(anyOf(deliveries.id, [...new Set(ids)]), notInArray(deliveries.status, ['SENT', 'DEAD']), isNull(deliveries.sendingClaim)))
      .returning();
    const claimed = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => {
      const row = claimed.get(id) ?? null;
      claimed.delete(id);
      return row;
    });
  });

  /**
   * Claims a delivery that is neither SENT nor DEAD and whose claim is `seenClaim` (none: null), and returns it
   * as claimed; null when it is not in that state (any more).
   */
  private async claim(id: string, seenClaim: string | null): Promise<{ row: DeliveryRow; claim: string } | null> {
    const claim = randomUUID();
    const [row] = await this.db
      .update(deliveries)
      .set({ sendingClaim: claim, sendingSince: new Date() })
      .where(and(eq(deliveries.id, id), notInArray(deliveries.status, ['SENT', 'DEAD']), seenClaim ? eq(deliveries.sendingClaim, seenClaim) : isNull(deliveries.sendingClaim)))
      .returning();
    return row ? { row, claim } : null;
  }

  /**
   * The first attempt of many deliveries at once (the emails of a planned batch): the fresh ones are claimed in
   * one statement, sent together, and their outcomes recorded in one statement once the last has been sent.
   * Any other (claimed by another attempt, sent, gone) takes the way of {@link dispatch}. Settles each as
   * `dispatch` would. The window of point 3 above (sent, not yet recorded) lasts as long as the batch's sends.
   */
  async dispatchMany(deliveryIds: readonly string[], finalAttempt: boolean): Promise<Array<PromiseSettledResult<DispatchOutcome>>> {
    const claimed = await Promise.all(deliveryIds.map((id) => this.claimUnclaimed(id)));
    const attempts = await Promise.all(claimed.map(async (row) => (row ? { row, ...(await this.attemptSend(row, row.sendingClaim!, row.attempts + 1, null, finalAttempt)) } : null)));
    return Promise.allSettled(deliveryIds.map((id, i) => (attempts[i] ? this.recordAttempt(attempts[i]) : this.dispatch(id, finalAttempt))));
  }

  /** Sends a delivery this attempt has claimed, and records the outcome. */
  private async sendClaimed(row: DeliveryRow, claim: string, attempt: number, resentNote: string | null, finalAttempt: boolean): Promise<DispatchOutcome> {
    return this.recordAttempt({ row, ...(await this.attemptSend(row, claim, attempt, resentNote, finalAttempt)) });
  }

  /** Sends a claimed delivery; the outcome is remembered here until {@link recordAttempt} has recorded it. */
  private async attemptSend(row: DeliveryRow, claim: string, attempt: number, resentNote: string | null, finalAttempt: boolean): Promise<SentAttempt> {
    let outcome: Outcome;
    let failure: unknown = null;
    try {
      this.deps.beforeSend?.(row);
      // The send is the end of a checkout's trace: SMTP (no instrumentation of its own), SMS or webhook call.
      await withSpan(`notification send ${row.content.kind}`, () => this.send(row), {
        kind: SpanKind.CLIENT,
        attributes: { 'notification.channel': row.content.kind, 'notification.event_type': row.eventType, 'notification.attempt': attempt },
      });
      outcome = { ok: true, error: resentNote, status: 'SENT' };
    } catch (error) {
      failure = error;
      const permanent = error instanceof PermanentDeliveryError;
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      outcome = { ok: false, error: message, status: permanent || finalAttempt ? 'DEAD' : 'FAILED' };
    }
    deliveryAttemptsTotal().inc({ channel: row.content.kind, status: outcome.status });
    this.unrecorded.set(row.id, { claim, outcome });
    await this.deps.afterSend?.(row);
    return { claim, attempt, outcome, failure };
  }

  /** Records a sent attempt's outcome; rejects with its failure when the send failed. */
  private async recordAttempt({ row, claim, attempt, outcome, failure }: SentAttempt & { row: DeliveryRow }): Promise<DispatchOutcome> {
    await this.recordWithRetries(row.id, claim, attempt, outcome);
    this.unrecorded.delete(row.id);
    if (failure) throw failure;
    return 'sent';
  }

  /** Records an outcome, retrying with backoff while the database is away (up to `recordRetryMs`). */
  private async recordWithRetries(id: string, claim: string, attempt: number, outcome: Outcome): Promise<void> {
    const deadline = Date.now() + (this.deps.recordRetryMs ?? 60_000);
    // One timestamp for every try: a try that committed but lost its answer is recognised by it (see `record`).
    const at = new Date();
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        await this.record(id, claim, attempt, outcome, at);
        return;
      } catch (error) {
        if (Date.now() + delay > deadline) throw error;
        this.deps.logger.warn({ err: error, deliveryId: id, retryInMs: delay }, 'could not record a delivery outcome; retrying');
        await sleep(delay);
      }
    }
  }

  private async send(row: DeliveryRow): Promise<void> {
    const content = row.content;
    switch (content.kind) {
      case 'email':
        return this.deps.email.send(row.id, row.eventId, content, await this.attachmentsOf(row));
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

  private async attachmentsOf(row: DeliveryRow): Promise<MailAttachment[]> {
    if (row.eventType !== 'order.paid' || !row.orderId || !this.deps.invoices) return [];
    return this.deps.invoices.forOrder(row.orderId);
  }

  private async record(id: string, claim: string, attempt: number, result: Outcome, now: Date): Promise<void> {
    const updated = await this.recordOutcome({ id, claim, attempt, result, at: now });
    if (result.ok && !updated) {
      // Already SENT, and not by an earlier try of this record (whose sentAt would be `now`): another attempt sent
      // it while this one was sending too (this one's claim had been taken over after outliving the lease), so
      // two copies left. Say so, whichever of the two records last.
      await this.db
        .update(deliveries)
        .set({ lastError: OVERLAPPING_SENDS })
        .where(and(eq(deliveries.id, id), eq(deliveries.status, 'SENT'), ne(deliveries.sentAt, now)));
    }
  }

  /**
   * Records outcomes, those of jobs finishing together in one statement (atomic, one round trip): each attempt's
   * log row and its delivery's new state. A sent message is recorded whoever holds the claim now; a failure only
   * by the claim's own attempt. Says for each whether its delivery was updated. A delivery twice in one batch
   * (a resend overlapping a send) is recorded by statements one after the other.
   */
  private readonly recordOutcome = batched(async (records: readonly RecordedOutcome[]): Promise<boolean[]> => {
    const updated = new Set<RecordedOutcome>();
    for (let rest = [...records]; rest.length > 0; ) {
      const ids = new Set<string>();
      const now = rest.filter((r) => !ids.has(r.id) && ids.add(r.id));
      rest = rest.filter((r) => !now.includes(r));
      const v = unnest(now, {
        id: ['uuid', (r) => r.id],
        claim: ['uuid', (r) => r.claim],
        attempt: ['int', (r) => r.attempt],
        ok: ['boolean', (r) => r.result.ok],
        error: ['text', (r) => r.result.error],
        status: ['text', (r) => r.result.status],
        at: ['timestamptz', (r) => r.at.toISOString()],
      });
      const rows = await this.db.execute<{ id: string }>(sql`
        with v as (select * from ${v}),
        logged as (insert into ${deliveryAttempts} (delivery_id, attempt, ok, error, at) select id, attempt, ok, error, at from v)
        update ${deliveries} d
        set status = v.status::notification_status, attempts = d.attempts + 1, updated_at = v.at, sending_claim = null, sending_since = null,
            sent_at = case when v.ok then v.at else d.sent_at end, last_error = v.error
        from v
        where d.id = v.id and d.status <> 'SENT' and (v.ok or d.sending_claim = v.claim or d.sending_claim is null)
        returning d.id`);
      const done = new Set(rows.map((row) => row.id));
      for (const r of now) if (done.has(r.id)) updated.add(r);
    }
    return records.map((r) => updated.has(r));
  });
}

interface SentAttempt {
  claim: string;
  attempt: number;
  outcome: Outcome;
  /** What the send threw, if it failed. */
  failure: unknown;
}

interface RecordedOutcome {
  id: string;
  claim: string;
  attempt: number;
  result: Outcome;
  at: Date;
}
