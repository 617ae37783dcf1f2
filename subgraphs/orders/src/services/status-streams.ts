import { anyOf, customerOrderStatusChannel, type Database, type Logger, ORDER_STATUS_CHANNEL_PREFIX, type OrderStatusEvent, PushStream, type RedisPubSub, subscriptionCursor, subscriptionEvent } from '@shopgraph/kit';
import { and, asc, eq, gte, inArray, or, type SQL } from 'drizzle-orm';
import { type OrderRow, orders, orderStatusHistory, type schema, type StatusHistoryRow } from '../db/schema.ts';

type Db = Database<typeof schema>;

/** One status change as subscriptions deliver it (the `OrderStatusEvent` type's parent). */
export type StatusEventView = Omit<OrderStatusEvent, 'eventId' | 'orderNumber'>;

/** How long an order row read for one event is shared by every subscriber of that event in this process. */
const SNAPSHOT_TTL_MS = 10_000;
/**
 * Resuming `myOrderUpdates` also looks at changes this much older than the subscription: a transaction that
 * began before the subscription and committed after it has an `at` before the start. Orders that changed within
 * the margin before the start are in the cursor with their sequence, so only what is new is replayed; a change
 * is missed only if its transaction ran longer than the margin.
 */
const RESUME_MARGIN_MS = 60_000;

/**
 * Live status streams for the Subscription fields. Events arrive through Redis pub/sub from whichever orders
 * process committed them (the outbox relay publishes them), so every replica sees every change. Each stream
 * tracks the last sequence it delivered per order and reads any gap from the status history — after an
 * out-of-order or lost message, or when the router resumes a subscription after losing its connection —
 * so a subscriber gets every change once, in order.
 */
export class OrderStatusStreams {
  private readonly snapshots = new Map<string, { at: number; row: Promise<OrderRow | null> }>();

  constructor(
    private readonly db: Db,
    private readonly pubsub: RedisPubSub,
    private readonly logger: Logger,
  ) {}

  /**
   * Changes of one order after `resumeAfter` (a sequence number from an earlier event's cursor) or, when
   * starting afresh, after the order's current status. `joinable` when the client asked for no replay of its own.
   */
  async forOrder(order: OrderRow, resumeAfter: string | null, joinable: boolean) {
    const resumed = Number(resumeAfter);
    const start = resumeAfter !== null && Number.isSafeInteger(resumed) && resumed >= 0 ? resumed : null;
    const field = 'orderStatusChanged';
    return this.stream({
      channel: `${ORDER_STATUS_CHANNEL_PREFIX}${order.id}`,
      // Listening starts before anything is read, so no change falls between the two.
      initial: async () => new Map([[order.id, start ?? (await this.currentSequence(order.id))]]),
      replay: async (seen) => this.historyAfter(eq(orderStatusHistory.orderId, order.id), seen),
      toEvent: (event) => subscriptionEvent(field, event, String(event.sequence)),
      cursor: (seen) => String(seen.get(order.id) ?? 0),
      resuming: start !== null,
      joinable,
    });
  }

  /** Changes of every order of one customer, from now on or after `resumeAfter` (an earlier event's cursor). */
  async forCustomer(customerId: string, resumeAfter: string | null) {
    const cursor = decodeCustomerCursor(resumeAfter);
    const since = cursor?.since ?? new Date();
    const field = 'myOrderUpdates';
    const touched = new Map(Object.entries(cursor?.seen ?? {}));
    const customerCursor = () => encodeCustomerCursor({ since: since.toISOString(), seen: Object.fromEntries(touched) });
    return this.stream({
      channel: customerOrderStatusChannel(customerId),
      initial: async () => {
        const seen = new Map<string, number>();
        if (!cursor) {
          const rows = await this.db
            .select({ id: orders.id, seq: orders.statusSeq, updatedAt: orders.updatedAt })
            .from(orders)
            .where(eq(orders.customerId, customerId));
          for (const row of rows) {
            seen.set(row.id, row.seq);
            // Changes just before the start fall in a resume's margin: the cursor says they are not news.
            if (row.updatedAt.getTime() >= since.getTime() - RESUME_MARGIN_MS) touched.set(row.id, row.seq);
          }
        }
        for (const [id, seq] of touched) seen.set(id, seq);
        return seen;
      },
      // On resume: what the cursor names after its sequence, and anything newer of other orders.
      replay: async (seen) => {
        const known = [...seen.keys()];
        const mine = inArray(
          orderStatusHistory.orderId,
          this.db.select({ id: orders.id }).from(orders).where(eq(orders.customerId, customerId)),
        );
        const recent = gte(orderStatusHistory.at, new Date(since.getTime() - RESUME_MARGIN_MS));
        return this.historyAfter(and(mine, known.length ? or(recent, anyOf(orderStatusHistory.orderId, known)) : recent)!, seen);
      },
      toEvent: (event) => {
        touched.set(event.orderId, event.sequence);
        return subscriptionEvent(field, event, customerCursor());
      },
      cursor: () => customerCursor(),
      resuming: cursor !== null,
      // Every subscriber gets the customer's changes from when it subscribed: the same stream for all.
      joinable: true,
    });
  }

  /** The order as of the change `sequence`, read once however many subscribers this process serves it to. */
  orderAsOf(orderId: string, sequence: number): Promise<OrderRow | null> {
    const key = `${orderId}:${sequence}`;
    const now = Date.now();
    const cached = this.snapshots.get(key);
    if (cached && now - cached.at < SNAPSHOT_TTL_MS) return cached.row;
    if (this.snapshots.size > 10_000) this.pruneSnapshots(now);
    const row = this.db
      .select()
      .from(orders)
      .where(eq(orders.id, orderId))
      .then((rows) => rows[0] ?? null);
    this.snapshots.set(key, { at: now, row });
    row.catch(() => this.snapshots.delete(key));
    return row;
  }

  /** Live Redis listeners of this process (tests and metrics). */
  listenerCount(): number {
    return this.pubsub.listenerCount();
  }

  private async stream<E>(spec: {
    channel: string;
    initial: () => Promise<Map<string, number>>;
    replay: (seen: Map<string, number>) => Promise<StatusEventView[]>;
    toEvent: (event: StatusEventView) => E;
    /** The cursor to resume from, given the last sequence delivered per order. */
    cursor: (seen: Map<string, number>) => string;
    /** Whether to replay what was committed after the cursor before going live. */
    resuming: boolean;
    /** Whether the client asked for changes from now on (no replay of its own): later subscribers may share it. */
    joinable: boolean;
  }) {
    let seen = new Map<string, number>();
    let ready = false;
    const early: StatusEventView[] = [];
    // Deliveries run one at a time, so a gap is filled before anything newer goes out.
    let chain = Promise.resolve();
    const out = new PushStream<E>(() => unlisten());

    const deliver = async (event: StatusEventView) => {
      const last = seen.get(event.orderId) ?? 0;
      if (event.sequence <= last) return;
      if (event.sequence > last + 1) {
        const missing = await this.historyAfter(eq(orderStatusHistory.orderId, event.orderId), new Map([[event.orderId, last]]));
        for (const row of missing) if (row.sequence < event.sequence) emit(row);
      }
      emit(event);
    };
    const emit = (event: StatusEventView) => {
      if ((seen.get(event.orderId) ?? 0) >= event.sequence) return;
      seen.set(event.orderId, event.sequence);
      out.push(spec.toEvent(event));
    };
    const enqueue = (event: StatusEventView) => {
      chain = chain.then(() => deliver(event)).catch((error: unknown) => out.fail(error));
    };

    const unlisten = await this.pubsub.listen(spec.channel, (message) => {
      if (out.closed) return;
      const event = parseEvent(message);
      if (!event) return this.logger.warn({ channel: spec.channel }, 'ignoring a malformed status event');
      if (ready) enqueue(event);
      else early.push(event);
    });
    try {
      seen = await spec.initial();
      if (spec.resuming) for (const row of await spec.replay(new Map(seen))) emit(row);
    } catch (error) {
      await out.return();
      throw error;
    }
    ready = true;
    out.push(subscriptionCursor<E>(spec.cursor(seen), { joinable: spec.joinable }));
    for (const event of early.splice(0)) enqueue(event);
    return out;
  }

  private async currentSequence(orderId: string): Promise<number> {
    const [row] = await this.db.select({ seq: orders.statusSeq }).from(orders).where(eq(orders.id, orderId));
    return row?.seq ?? 0;
  }

  /** History rows matching `where`, oldest first, keeping those after the sequence `seen` has for their order. */
  private async historyAfter(where: SQL, seen: Map<string, number>): Promise<StatusEventView[]> {
    const rows = await this.db
      .select({ history: orderStatusHistory, customerId: orders.customerId })
      .from(orderStatusHistory)
      .innerJoin(orders, eq(orders.id, orderStatusHistory.orderId))
      .where(where)
      .orderBy(asc(orderStatusHistory.at), asc(orderStatusHistory.orderId), asc(orderStatusHistory.sequence));
    return rows.filter(({ history }) => history.sequence > (seen.get(history.orderId) ?? 0)).map(({ history, customerId }) => viewOf(history, customerId));
  }

  private pruneSnapshots(now: number): void {
    for (const [key, entry] of this.snapshots) if (now - entry.at >= SNAPSHOT_TTL_MS) this.snapshots.delete(key);
  }
}

function viewOf(row: StatusHistoryRow, customerId: string): StatusEventView {
  return {
    orderId: row.orderId,
    customerId,
    status: row.status,
    previousStatus: row.previousStatus,
    sequence: row.sequence,
    reason: row.reason,
    at: row.at.toISOString(),
  };
}

function parseEvent(message: string): StatusEventView | null {
  try {
    const event = JSON.parse(message) as OrderStatusEvent;
    return typeof event.orderId === 'string' && Number.isInteger(event.sequence) ? event : null;
  } catch {
    return null;
  }
}

interface CustomerCursor {
  /** When the subscription started. */
  since: Date;
  /** Last sequence delivered, per order that changed during the subscription. */
  seen: Record<string, number>;
}

function encodeCustomerCursor(cursor: { since: string; seen: Record<string, number> }): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCustomerCursor(value: string | null): CustomerCursor | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { since?: unknown; seen?: unknown };
    const since = typeof parsed.since === 'string' ? new Date(parsed.since) : null;
    if (!since || Number.isNaN(since.getTime()) || typeof parsed.seen !== 'object' || parsed.seen === null) return null;
    const seen = Object.fromEntries(Object.entries(parsed.seen).filter(([, seq]) => Number.isSafeInteger(seq))) as Record<string, number>;
    return { since, seen };
  } catch {
    return null;
  }
}
