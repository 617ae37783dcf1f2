import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDb, type DbHandle } from '../src/db.ts';
import { systemRedisServer } from '../src/infra.ts';
import { createLogger } from '../src/logger.ts';
import { type OutboxEvent, OutboxQueuePublisher, OutboxRelay, outboxTable, writeOutbox } from '../src/outbox.ts';
import { createTestDatabase, freePort, uniqueName } from '../src/testing/index.ts';

/** The transactional outbox against a real PostgreSQL. */

const outbox = outboxTable();
const schema = { outbox };
let handle: DbHandle<typeof schema>;
let databaseUrl: string;
let drop: () => Promise<void>;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  const database = await createTestDatabase('outbox');
  drop = database.drop;
  databaseUrl = database.url;
  handle = connectDb(database.url, schema);
  // The same table a subgraph's drizzle migration creates from `outboxTable()`.
  await handle.sql`create table outbox (
    seq bigserial primary key, event_id uuid not null unique, type text not null, payload jsonb not null,
    created_at timestamptz(3) not null default now(), published_at timestamptz(3), trace_context text)`;
});
afterAll(async () => {
  await handle?.close();
  await drop?.();
});

beforeEach(async () => {
  await handle.sql`truncate outbox`;
});

const relay = (publish: (event: OutboxEvent) => Promise<void>) => new OutboxRelay({ db: handle.db as never, table: outbox, publish, logger });

describe('outbox', () => {
  it('publishes committed events once, in order, and never those of a rolled-back transaction', async () => {
    await handle.db.transaction(async (tx) => {
      await writeOutbox(tx, outbox, { type: 'a', payload: { n: 1 } });
      await writeOutbox(tx, outbox, { type: 'a', payload: { n: 2 } });
    });
    await handle.db
      .transaction(async (tx) => {
        await writeOutbox(tx, outbox, { type: 'a', payload: { n: 99 } });
        throw new Error('the change failed');
      })
      .catch(() => undefined);
    await writeOutbox(handle.db, outbox, { type: 'b', payload: { n: 3 } });
    const seen: OutboxEvent[] = [];
    const r = relay(async (e) => void seen.push(e));
    await r.drain();
    await r.drain();
    expect(seen.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2, 3]);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(3);
  });

  it('republishes a batch whose publication failed half-way (at least once), keeping the order', async () => {
    for (let n = 1; n <= 3; n++) await writeOutbox(handle.db, outbox, { type: 'a', payload: { n } });
    const seen: number[] = [];
    let failOnce = true;
    const r = relay(async (e) => {
      const n = (e.payload as { n: number }).n;
      if (n === 2 && failOnce) {
        failOnce = false;
        throw new Error('broker unavailable');
      }
      seen.push(n);
    });
    await expect(r.drain()).rejects.toThrow('broker unavailable');
    await r.drain();
    expect(seen).toEqual([1, 1, 2, 3]);
    const [row] = await handle.sql`select count(*)::int as pending from outbox where published_at is null`;
    expect(row!.pending).toBe(0);
  });

  it('never hands the same event to two relays draining at once', async () => {
    for (let n = 1; n <= 300; n++) await writeOutbox(handle.db, outbox, { type: 'a', payload: { n } });
    const seen: number[] = [];
    const publish = async (e: OutboxEvent) => void seen.push((e.payload as { n: number }).n);
    await Promise.all([relay(publish).drain(), relay(publish).drain(), relay(publish).drain()]);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
  });

  it('publishes on its own once started, and at once when nudged', async () => {
    const seen: number[] = [];
    const r = new OutboxRelay({ db: handle.db as never, table: outbox, publish: async (e) => void seen.push((e.payload as { n: number }).n), logger, intervalMs: 60_000 });
    r.start();
    await writeOutbox(handle.db, outbox, { type: 'a', payload: { n: 7 } });
    r.nudge();
    for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await r.stop();
    expect(seen).toEqual([7]);
  });

  it('publishes a batch in one call, and backs off while publishing fails instead of trying on every nudge', async () => {
    for (let n = 1; n <= 5; n++) await writeOutbox(handle.db, outbox, { type: 'a', payload: { n } });
    const batches: number[][] = [];
    let calls = 0;
    let down = true;
    const r = new OutboxRelay({
      db: handle.db as never,
      table: outbox,
      logger,
      intervalMs: 200,
      maxBackoffMs: 400,
      publishBatch: async (events) => {
        calls += 1;
        if (down) throw new Error('Redis is not connected');
        batches.push(events.map((e) => (e.payload as { n: number }).n));
      },
    });
    r.start();
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    // A burst of commits while it is down does not turn into a burst of attempts.
    const before = calls;
    for (let i = 0; i < 50; i++) r.nudge();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls - before).toBeLessThanOrEqual(1);
    const [pending] = await handle.sql`select count(*)::int as n from outbox where published_at is null`;
    expect(pending!.n).toBe(5);
    down = false;
    while (batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await r.stop();
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });
});

/** A throwaway redis-server on `port` (stopped and started again on the same port, as a restart does). */
async function startRedisOn(port: number): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(systemRedisServer()!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
    probe.on('error', () => {});
    const up = await probe.connect().then(() => true, () => false);
    probe.disconnect();
    if (up) break;
    if (i > 100) throw new Error(`redis-server did not start on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('outbox to a BullMQ queue and Redis pub/sub', () => {
  // Needs a redis-server on PATH (Debian's package; CI installs it) to stop and start Redis on one port.
  it.skipIf(!systemRedisServer())('publishes a batch as jobs and messages; while Redis is down events wait in the outbox, and go out in order once it is back', async () => {
    const port = await freePort();
    let server = await startRedisOn(port);
    const redis = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    const listener = new Redis(server.url, { retryStrategy: () => 100 });
    // Connection errors while Redis is down are expected here.
    for (const client of [redis, listener]) client.on('error', () => {});
    const heard: number[] = [];
    listener.on('message', (_channel, message) => heard.push((JSON.parse(message) as { n: number }).n));
    await listener.subscribe('outbox-test');
    const publisher = new OutboxQueuePublisher<{ n: number }>({
      databaseUrl,
      table: outbox,
      queueName: 'outbox-test',
      settings: { redisUrl: server.url, prefix: uniqueName('q'), logger },
      intervalMs: 100,
      publishTimeoutMs: 2_000,
      pubsub: { redis, messages: (event) => [['outbox-test', JSON.stringify(event.payload)]] },
    });
    const write = async (from: number, to: number) => {
      await handle.db.transaction(async (tx) => {
        for (let n = from; n <= to; n++) await writeOutbox(tx, outbox, { type: 'a', payload: { n } });
      });
      publisher.nudge();
    };
    const until = async (done: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 600 && !(await done()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const pending = async () => ((await handle.sql`select count(*)::int as n from outbox where published_at is null`)[0]!.n as number);
    try {
      publisher.start();
      await write(1, 3);
      await until(async () => (await pending()) === 0 && heard.length === 3);
      expect(heard).toEqual([1, 2, 3]);
      expect(await publisher.queue.getJobCounts('waiting')).toEqual({ waiting: 3 });

      await server.stop();
      await write(4, 6);
      // Nothing is lost or half-marked while Redis is away: the events wait, unpublished.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(await pending()).toBe(3);

      server = await startRedisOn(port);
      await until(async () => (await pending()) === 0);
      expect(await pending()).toBe(0);
      // Pub/sub is at most once per connection: a message published before the listener resubscribed is gone,
      // which is why live streams fill gaps from status history. The queue has every event (Redis restarted empty).
      const jobs = await publisher.queue.getJobs(['waiting']);
      expect(jobs.map((job) => job.data.n).sort()).toEqual([4, 5, 6]);
    } finally {
      await publisher.close();
      redis.disconnect();
      listener.disconnect();
      await server.stop();
    }
  });

  it.skipIf(!systemRedisServer())('publishes committed events ahead of the relay on pub/sub; the relay still publishes them, and queues them once', async () => {
    const server = await startRedisOn(await freePort());
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const listener = new Redis(server.url);
    const heard: number[] = [];
    listener.on('message', (_channel, message) => heard.push((JSON.parse(message) as { n: number }).n));
    await listener.subscribe('ahead-test');
    const publisher = new OutboxQueuePublisher<{ n: number }>({
      databaseUrl,
      table: outbox,
      queueName: 'ahead-test',
      settings: { redisUrl: server.url, prefix: uniqueName('q'), logger },
      pubsub: { redis, messages: (event) => [['ahead-test', JSON.stringify(event.payload)]] },
    });
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    };
    try {
      await redis.ping();
      const eventId = await writeOutbox(handle.db, outbox, { type: 'a', payload: { n: 7 } });
      // The relay is not running: only the message published ahead can arrive.
      publisher.publishAhead([{ eventId, type: 'a', payload: { n: 7 } }]);
      await until(() => heard.length === 1);
      expect(heard).toEqual([7]);
      expect(await publisher.queue.getJobCounts('waiting')).toEqual({ waiting: 0 });

      // The relay publishes it again (at least once) and makes its job, once.
      publisher.start();
      await publisher.relay.drain();
      await until(() => heard.length === 2);
      expect(heard).toEqual([7, 7]);
      expect(await publisher.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
    } finally {
      await publisher.close();
      redis.disconnect();
      listener.disconnect();
      await server.stop();
    }
  });
});
