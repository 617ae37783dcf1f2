import { randomUUID } from 'node:crypto';
import { asc, inArray, isNull, sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { connectDb, type Database, type DbHandle, type Executor } from './db.ts';
import type { Logger } from './logger.ts';
import { createQueue, type Queue, type QueueSettings } from './queues.ts';

/**
 * Transactional outbox: an event is written in the same transaction as the change it describes, and a
 * relay publishes it afterwards, at least once. Consumers dedupe by `eventId`.
 *
 * A subgraph that publishes events adds `export const outbox = outboxTable();` to its drizzle schema
 * (so its migrations create the table), writes with {@link writeOutbox} inside its transactions, and
 * runs an {@link OutboxRelay}.
 */
export function outboxTable() {
  return pgTable(
    'outbox',
    {
      /** Publication order. */
      seq: bigserial('seq', { mode: 'number' }).primaryKey(),
      eventId: uuid('event_id').notNull().unique(),
      type: text('type').notNull(),
      payload: jsonb('payload').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
      publishedAt: timestamp('published_at', { withTimezone: true, precision: 3 }),
    },
    (t) => [index('outbox_unpublished_idx').on(t.seq).where(sql`${t.publishedAt} is null`)],
  );
}

export type OutboxTable = ReturnType<typeof outboxTable>;

/** An event as it leaves the outbox. */
export interface OutboxEvent<TPayload = unknown> {
  eventId: string;
  type: string;
  payload: TPayload;
  seq: number;
  createdAt: Date;
}

/** Writes an event into the outbox with `executor` (pass the transaction of the change). Returns its id. */
export async function writeOutbox<S extends Record<string, unknown>>(
  executor: Executor<S>,
  table: OutboxTable,
  event: { type: string; payload: unknown; eventId?: string },
): Promise<string> {
  const eventId = event.eventId ?? randomUUID();
  await (executor as Database<S>).insert(table).values({ eventId, type: event.type, payload: event.payload });
  return eventId;
}

/**
 * Publishes unpublished outbox events in order, at least once: it claims a batch (`for update skip
 * locked`, so replicas never publish the same row at the same time), publishes each, then marks the
 * batch. A crash between publishing and marking republishes; consumers dedupe by event id.
 * It polls every `intervalMs`, and at once after {@link OutboxRelay.nudge}.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly options: {
      db: Database<Record<string, unknown>>;
      table: OutboxTable;
      publish: (event: OutboxEvent) => Promise<void>;
      logger: Logger;
      intervalMs?: number;
      batchSize?: number;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Asks for a publication round now (call after committing a transaction that wrote events). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Publishes everything pending now; resolves when the outbox is drained (or a round failed). */
  async drain(): Promise<void> {
    while ((await this.round()) > 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    let published = 0;
    this.running = (async () => {
      try {
        published = await this.round();
      } catch (error) {
        this.options.logger.error({ err: error }, 'outbox relay round failed; will retry');
      }
    })();
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    const more = published >= (this.options.batchSize ?? 100) || this.again;
    this.again = false;
    this.schedule(more ? 0 : (this.options.intervalMs ?? 500));
  }

  /** One claimed batch: publish, then mark. Returns how many events were published. */
  private async round(): Promise<number> {
    const { db, table, publish } = this.options;
    return db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(table)
        .where(isNull(table.publishedAt))
        .orderBy(asc(table.seq))
        .limit(this.options.batchSize ?? 100)
        .for('update', { skipLocked: true });
      for (const row of rows) {
        await publish({ eventId: row.eventId, type: row.type, payload: row.payload, seq: row.seq, createdAt: row.createdAt });
      }
      if (rows.length > 0) {
        await tx
          .update(table)
          .set({ publishedAt: new Date() })
          .where(inArray(table.seq, rows.map((r) => r.seq)));
      }
      return rows.length;
    });
  }
}

/**
 * An outbox relay whose events become BullMQ jobs on one queue: one job per event, named by the event
 * type, job id = event id (a republished event is deduplicated while its job exists; consumers dedupe by
 * event id after that), retried with exponential backoff when the consumer fails. `alsoPublish` sends
 * each event somewhere else first (e.g. Redis pub/sub for live subscriptions).
 *
 * It polls on a small pool of its own, so background publishing never waits behind (or delays) request
 * handling, and the statements of a request are all the request's own.
 */
export class OutboxQueuePublisher<TPayload> {
  readonly queue: Queue<TPayload>;
  readonly relay: OutboxRelay;
  private readonly pool: DbHandle<Record<string, unknown>>;

  constructor(options: {
    databaseUrl: string;
    table: OutboxTable;
    queueName: string;
    settings: QueueSettings;
    alsoPublish?: (event: OutboxEvent<TPayload>) => Promise<void>;
    attempts?: number;
    intervalMs?: number;
  }) {
    this.pool = connectDb(options.databaseUrl, { outbox: options.table }, { max: 2 });
    this.queue = createQueue<TPayload>(options.queueName, options.settings, {
      attempts: options.attempts ?? 10,
      backoff: { type: 'exponential', delay: 1_000 },
    });
    this.relay = new OutboxRelay({
      db: this.pool.db,
      table: options.table,
      logger: options.settings.logger,
      ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
      publish: async (event) => {
        await options.alsoPublish?.(event as OutboxEvent<TPayload>);
        // BullMQ's typed `add` narrows job names to the queue's name type; ours are the event types.
        await (this.queue as Queue).add(event.type, event.payload, { jobId: event.eventId });
      },
    });
  }

  start(): void {
    this.relay.start();
  }

  /** Publishes at once (call after committing a transaction that wrote events). */
  nudge(): void {
    this.relay.nudge();
  }

  /** Stops publishing (a round in progress finishes), then closes the queue and the pool. */
  async close(): Promise<void> {
    await this.relay.stop();
    await this.queue.close();
    await this.pool.close();
  }
}
