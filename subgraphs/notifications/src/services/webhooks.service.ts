import { randomBytes } from 'node:crypto';
import { type Database, ErrorCode, isUuid, userError } from '@shopgraph/kit';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { type schema, webhookEndpoints, type WebhookEndpointRow } from '../db/schema.ts';
import { EVENT_TYPES, type EventType, isEventType } from './event-types.ts';
import type { SecretBox } from './secret-box.ts';
import { type NetworkPolicy, webhookUrlProblem } from './url-guard.ts';

type Db = Database<typeof schema>;

const MAX_ENDPOINTS = 100;
const SUBSCRIBERS_TTL_MS = 2_000;

function invalid(field: string, message: string): never {
  throw userError(ErrorCode.BAD_USER_INPUT, `Invalid input: ${field}: ${message}`, { fields: [{ field, message }] });
}

/** Webhook endpoints: registration (URL and event checks), removal, and who subscribes to an event. */
export class WebhooksService {
  private active: { rows: Promise<WebhookEndpointRow[]>; until: number } | undefined;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
    private readonly policy: NetworkPolicy,
    private readonly subscribersTtlMs = SUBSCRIBERS_TTL_MS,
  ) {}

  list(): Promise<WebhookEndpointRow[]> {
    return this.db.select().from(webhookEndpoints).where(isNull(webhookEndpoints.deletedAt)).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
  }

  /** Registers an endpoint; the secret is returned here and never again. */
  async create(url: string, events: string[]): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
    const trimmed = url.trim();
    const problem = webhookUrlProblem(trimmed, this.policy);
    if (problem) invalid('url', problem);
    if (events.length === 0) invalid('events', `must name at least one event type (${EVENT_TYPES.join(', ')})`);
    const unknown = events.filter((e) => !isEventType(e));
    if (unknown.length) invalid('events', `unknown event type ${unknown.map((e) => JSON.stringify(e)).join(', ')}: use ${EVENT_TYPES.join(', ')}`);
    const active = await this.list();
    if (active.some((e) => e.url === trimmed)) throw userError(ErrorCode.CONFLICT, 'A webhook endpoint with this URL exists already: delete it first');
    if (active.length >= MAX_ENDPOINTS) throw userError(ErrorCode.CONFLICT, `At most ${MAX_ENDPOINTS} webhook endpoints`);
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const [endpoint] = await this.db
      .insert(webhookEndpoints)
      .values({ url: trimmed, events: [...new Set(events)], secretCiphertext: this.secrets.seal(secret) })
      .returning();
    this.active = undefined;
    return { endpoint: endpoint!, secret };
  }

  /** Removes an endpoint; false when there is no such (active) endpoint. */
  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const rows = await this.db
      .update(webhookEndpoints)
      .set({ deletedAt: new Date() })
      .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
      .returning({ id: webhookEndpoints.id });
    this.active = undefined;
    return rows.length > 0;
  }

  /**
   * Active endpoints subscribed to `type`. Every event asks, endpoints rarely change: the list is read at most
   * every `subscribersTtlMs` (2 s by default; and at once after a change made through this process; other replicas see a change
   * within that time).
   */
  async subscribers(type: EventType): Promise<WebhookEndpointRow[]> {
    if (!this.active || this.active.until < Date.now()) {
      const until = Date.now() + this.subscribersTtlMs;
      // execute(): a drizzle query is lazy and would run again on every await of it.
      const rows = this.db.select().from(webhookEndpoints).where(isNull(webhookEndpoints.deletedAt)).execute();
      this.active = { rows, until };
      rows.catch(() => {
        if (this.active?.rows === rows) this.active = undefined;
      });
    }
    return (await this.active.rows).filter((endpoint) => endpoint.events.includes(type));
  }

  /** The endpoint's signing secret, if the endpoint is still registered. */
  async secretOf(id: string): Promise<string | null> {
    const [row] = await this.db.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)));
    return row ? this.secrets.open(row.secretCiphertext) : null;
  }
}
