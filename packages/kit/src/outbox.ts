import { randomUUID } from 'node:crypto';
import { asc, isNull, type SQL, sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { anyOf, connectDb, type Database, type DbHandle, type Executor } from './db.ts';
import type { Logger } from './logger.ts';
import type { Redis } from './redis.ts';
import { FlowProducer, type JobsOptions } from 'bullmq';
import { createQueue, queueConnection, type Queue, type QueueSettings } from './queues.ts';
import { captureTraceContext } from './telemetry/context.ts';
import { observeOutbox } from './telemetry/outbox-metrics.ts';

/** What the queues of a fan-out share (`orders.status-changed` of `orders.status-changed.<subscriber>`): the outbox's metrics label. */
function topicOf(queues: string[]): string {
  if (queues.length === 1) return queues[0]!;
  const [first, ...rest] = queues.map((queue) => queue.split('.'));
  const common: string[] = [];
  for (const [i, part] of first!.entries()) {
    if (rest.some((other) => other[i] !== part)) break;
    common.push(part);
  }
  return common.length > 0 ? common.join('.') : queues.join('+');
}

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
      /** W3C trace context (and request id) of the writing transaction, continued by the event's consumers. */
      traceContext: text('trace_context'),
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
  traceContext?: string | null;
}

/** Writes an event into the outbox with `executor` (pass the transaction of the change). Returns its id. */
export async function writeOutbox<S extends Record<string, unknown>>(
  executor: Executor<S>,
  table: OutboxTable,
  event: { type: string; payload: unknown; eventId?: string },
): Promise<string> {
  const eventId = event.eventId ?? randomUUID();
  await (executor as Database<S>).insert(table).values({ eventId, type: event.type, payload: event.payload, traceContext: captureTraceContext() ?? null });
  return eventId;
}

/**
 * The insert of one outbox event for a statement that writes a change and its event together (data-modifying
 * CTEs: `with updated as (update … returning *), event as (<outboxInsert>) …`), so both are written or
 * neither. `payload` is built by the database from the rows the statement writes ({@link sqlPayload}), and one
 * event is inserted per row of `from` (a CTE, or several joined). The event carries the writer's trace context,
 * as {@link writeOutbox} records it; the insert returns `payload`.
 */
export function outboxInsert(table: OutboxTable, event: { eventId: string; type: string; payload: SQL; from: SQL }): SQL {
  return sql`insert into ${table} (event_id, type, payload, trace_context)
    select ${event.eventId}::uuid, ${event.type}::text, ${event.payload}, ${captureTraceContext() ?? null}::text
    from ${event.from}
    returning payload`;
}

/**
 * An event payload (or a part of one) as a JSON object built in SQL, one SQL value per key of `T` (the event's
 * type). Every key is named; an optional one may be given `undefined`, and is then left out of the object.
 */
export function sqlPayload<T>(fields: { [K in keyof T & string]-?: undefined extends T[K] ? SQL | undefined : SQL }): SQL {
  const given = Object.entries<SQL | undefined>(fields).filter((entry): entry is [string, SQL] => entry[1] !== undefined);
  return sql`jsonb_build_object(${sql.join(
    given.map(([key, value]) => sql`${key}::text, ${value}`),
    sql`, `,
  )})`;
}

/** A timestamp as `Date#toISOString()` writes it (UTC, milliseconds): the `at` of events built in SQL. */
export function sqlIsoTimestamp(value: SQL): SQL {
  return sql`to_char(${value} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** How a relay publishes a claimed batch: all of it or nothing (it throws, and the batch is published again). */
export type PublishBatch = (events: OutboxEvent[]) => Promise<void>;

/**
 * Publishes unpublished outbox events in order, at least once: it claims a batch (`for update skip
 * locked`, so replicas never publish the same row at the same time), publishes the whole batch (one
 * call of `publishBatch`: a Redis pipeline, not a round trip per event), then marks it published. A crash
 * between publishing and marking republishes; consumers dedupe by event id.
 *
 * It runs a round at once after {@link OutboxRelay.nudge} (writers call it after their commit), at once
 * again while rounds find work, and otherwise polls every `intervalMs` as a safety net (events written by a
 * process that died before nudging). A failed round (Redis or the database away) is retried with
 * exponential backoff from `intervalMs` up to `maxBackoffMs`, nudges included, and the events wait in the
 * outbox meanwhile; it logs the first failure and the recovery, not every attempt.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Failed rounds in a row. */
  private failures = 0;
  private readonly publishBatch: PublishBatch;

  constructor(
    private readonly options: {
      db: Database<Record<string, unknown>>;
      table: OutboxTable;
      /** Publishes a claimed batch; preferred. */
      publishBatch?: PublishBatch;
      /** Publishes one event (the batch is published one by one, in order). */
      publish?: (event: OutboxEvent) => Promise<void>;
      logger: Logger;
      intervalMs?: number;
      batchSize?: number;
      /** Longest wait between failed rounds (default 5 s). */
      maxBackoffMs?: number;
    },
  ) {
    const { publish, publishBatch } = options;
    if (publishBatch) this.publishBatch = publishBatch;
    else if (publish) this.publishBatch = async (events) => {
      for (const event of events) await publish(event);
    };
    else throw new Error('OutboxRelay needs publishBatch or publish');
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Asks for a publication round now (call after committing a transaction that wrote events). */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    // While backing off after a failure, the scheduled retry comes first: nudges must not hammer a dead Redis.
    else if (this.failures === 0) this.schedule(0);
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
    this.again = false;
    this.running = (async () => {
      try {
        published = await this.round();
        if (this.failures > 0) this.options.logger.info({ failedRounds: this.failures, published }, 'outbox relay publishing again');
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        if (this.failures === 1) this.options.logger.error({ err: error }, 'outbox relay round failed; retrying with backoff, events wait in the outbox');
        else this.options.logger.debug({ err: error, failures: this.failures }, 'outbox relay round failed again');
      }
    })();
    await this.running;
    this.running = undefined;
    if (this.stopped) return;
    const interval = this.options.intervalMs ?? 500;
    if (this.failures > 0) {
      this.schedule(Math.min(interval * 2 ** (this.failures - 1), this.options.maxBackoffMs ?? 5_000));
      return;
    }
    const more = published >= (this.options.batchSize ?? 100) || this.again;
    this.schedule(more ? 0 : interval);
  }

  /** One claimed batch: publish it, then mark it. Returns how many events were published. */
  private async round(): Promise<number> {
    const { db, table } = this.options;
    return db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(table)
        .where(isNull(table.publishedAt))
        .orderBy(asc(table.seq))
        .limit(this.options.batchSize ?? 100)
        .for('update', { skipLocked: true });
      if (rows.length === 0) return 0;
      await this.publishBatch(rows.map((row) => ({ eventId: row.eventId, type: row.type, payload: row.payload, seq: row.seq, createdAt: row.createdAt, traceContext: row.traceContext })));
      // clock_timestamp(): when publishing ended, not when this transaction began.
      await tx
        .update(table)
        .set({ publishedAt: sql`clock_timestamp()` })
        .where(anyOf(table.seq, rows.map((r) => r.seq)));
      return rows.length;
    });
  }
}

/** Redis pub/sub messages an outbox event also becomes: `[channel, message]` pairs. */
export interface OutboxPubSub<TPayload> {
  redis: Redis;
  messages(event: Pick<OutboxEvent<TPayload>, 'eventId' | 'type' | 'payload'>): Array<[channel: string, message: string]>;
}

/**
 * An outbox relay whose events become BullMQ jobs on one queue, or on each of several queues (fan-out: one
 * queue per consuming service, so each receives every event): one job per event and queue, named by the
 * event type, job id = event id (a republished event is deduplicated while its job exists; consumers dedupe
 * by event id after that), retried with exponential backoff when the consumer fails. With several queues a
 * batch is added to all of them in one Redis transaction (BullMQ's `FlowProducer.addBulk`, a MULTI across
 * queues), so an event reaches either every subscriber or none and is then republished. `pubsub` also publishes
 * each event on Redis pub/sub channels (e.g. for live subscriptions).
 *
 * A batch costs two Redis round trips whatever its size, sent together: one pipeline of PUBLISH commands and
 * one `addBulk` (a MULTI of job insertions). While Redis is unreachable a round fails at once (the clients
 * are not connected) or after `publishTimeoutMs`, and the relay backs off; nothing is lost, the events
 * stay in the outbox and go out, in order, once Redis answers again.
 *
 * It polls on a small pool of its own, so background publishing never waits behind (or delays) request
 * handling, and the statements of a request are all the request's own.
 */
export class OutboxQueuePublisher<TPayload> {
  /** The first (or only) queue. */
  readonly queue: Queue<TPayload>;
  /** Every queue an event goes to. */
  readonly queues: Queue<TPayload>[];
  readonly relay: OutboxRelay;
  private readonly pool: DbHandle<Record<string, unknown>>;
  private readonly observed: ReturnType<typeof observeOutbox>;
  /** Adds one batch to several queues atomically; only for fan-out. */
  private readonly flows: FlowProducer | undefined;
  private readonly jobOptions: JobsOptions;
  private readonly pubsub: OutboxPubSub<TPayload> | undefined;
  private readonly logger: Logger;
  /** The queues an event goes to. */
  private readonly queuesOf: (payload: TPayload) => Array<Queue<TPayload>>;

  constructor(options: {
    databaseUrl: string;
    table: OutboxTable;
    /** One queue, or one per subscriber (fan-out). */
    queueName: string | readonly string[];
    /** The queues (of `queueName`) an event goes to; default: every one. Pub/sub messages go out regardless. */
    route?: (payload: TPayload) => readonly string[];
    settings: QueueSettings;
    pubsub?: OutboxPubSub<TPayload>;
    attempts?: number;
    intervalMs?: number;
    /** A batch not acknowledged by Redis within this is retried (default 10 s). */
    publishTimeoutMs?: number;
  }) {
    this.pool = connectDb(options.databaseUrl, { outbox: options.table }, { max: 2 });
    this.pubsub = options.pubsub;
    this.logger = options.settings.logger;
    const names = typeof options.queueName === 'string' ? [options.queueName] : [...options.queueName];
    if (names.length === 0) throw new Error('OutboxQueuePublisher needs at least one queue');
    this.observed = observeOutbox(options.settings.logger, topicOf(names), this.pool.sql);
    this.jobOptions = { attempts: options.attempts ?? 10, backoff: { type: 'exponential', delay: 1_000 } };
    this.queues = names.map((name) => createQueue<TPayload>(name, options.settings, this.jobOptions));
    this.queue = this.queues[0]!;
    const route = options.route;
    this.queuesOf = route ? (payload) => this.queues.filter((queue) => route(payload).includes(queue.name)) : () => this.queues;
    if (names.length > 1) {
      this.flows = new FlowProducer({ connection: queueConnection(options.settings.redisUrl), prefix: options.settings.prefix });
      this.flows.on('error', (error) => options.settings.logger.error({ err: error, queues: names }, 'flow producer error'));
    }
    const timeoutMs = options.publishTimeoutMs ?? 10_000;
    this.relay = new OutboxRelay({
      db: this.pool.db,
      table: options.table,
      logger: options.settings.logger,
      ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
      publishBatch: (events) => withTimeout(this.publish(events as OutboxEvent<TPayload>[], options.pubsub), timeoutMs),
    });
  }

  /**
   * Publishes the pub/sub messages of events that have just committed, now, ahead of the relay: live
   * subscribers hear of a change one Redis round trip after its commit instead of after the relay's next
   * round (which may be waiting on the previous batch's jobs). Best effort: nothing is retried, and the relay
   * publishes every event again, so pub/sub consumers must skip what they have seen (they already must: the
   * relay publishes at least once).
   */
  publishAhead(events: Array<Pick<OutboxEvent<TPayload>, 'eventId' | 'type' | 'payload'>>): void {
    const pubsub = this.pubsub;
    if (!pubsub || events.length === 0 || pubsub.redis.status !== 'ready') return;
    publishMessages(pubsub, events).catch((error: unknown) => this.logger.debug({ err: error }, 'publishing events ahead of the outbox relay failed; the relay publishes them'));
  }

  private async publish(events: OutboxEvent<TPayload>[], pubsub: OutboxPubSub<TPayload> | undefined): Promise<void> {
    const client = await (this.flows ? this.flows.getBackend() : this.queue.backend).client;
    // Commands sent while disconnected would wait in the client's offline queue for the whole outage.
    if (client.status !== 'ready' || (pubsub && pubsub.redis.status !== 'ready')) throw new Error('Redis is not connected');
    const published = async () => {
      if (pubsub) await publishMessages(pubsub, events);
    };
    // Each job carries the trace context of the transaction that wrote its event (the consumer continues it).
    const traced = (event: OutboxEvent) => (event.traceContext ? { telemetry: { metadata: event.traceContext } } : {});
    const queued = this.flows
      ? this.flows.addBulk(
          events.flatMap((event) =>
            this.queuesOf(event.payload).map((queue) => ({
              name: event.type,
              queueName: queue.name,
              data: event.payload,
              // A flow job takes no queue defaults: the queue's own (retries, retention) are given explicitly.
              opts: { ...queue.defaultJobOptions, jobId: event.eventId, ...traced(event) },
            })),
          ),
        )
      : // BullMQ's typed `addBulk` narrows job names to the queue's name type; ours are the event types.
        (this.queue as Queue).addBulk(
          events.filter((event) => this.queuesOf(event.payload).length > 0).map((event) => ({ name: event.type, data: event.payload, opts: { jobId: event.eventId, ...traced(event) } })),
        );
    await Promise.all([published(), queued]);
    this.observed.published(events);
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
    this.observed.close();
    await this.flows?.close();
    for (const queue of this.queues) await queue.close();
    await this.pool.close();
  }
}

/** The events' pub/sub messages, in one pipeline; throws the first failure. */
async function publishMessages<TPayload>(pubsub: OutboxPubSub<TPayload>, events: Array<Pick<OutboxEvent<TPayload>, 'eventId' | 'type' | 'payload'>>): Promise<void> {
  const pipeline = pubsub.redis.pipeline();
  for (const event of events) for (const [channel, message] of pubsub.messages(event)) pipeline.publish(channel, message);
  const results = (await pipeline.exec()) ?? [];
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not acknowledge the batch within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
