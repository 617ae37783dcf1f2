import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectDb, type DbHandle } from '../src/db.ts';
import { createLogger } from '../src/logger.ts';
import { type OutboxEvent, OutboxRelay, outboxTable, writeOutbox } from '../src/outbox.ts';
import { createTestDatabase } from '../src/testing/index.ts';

/** The transactional outbox against a real PostgreSQL. */

const outbox = outboxTable();
const schema = { outbox };
let handle: DbHandle<typeof schema>;
let drop: () => Promise<void>;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  const database = await createTestDatabase('outbox');
  drop = database.drop;
  handle = connectDb(database.url, schema);
  // The same table a subgraph's drizzle migration creates from `outboxTable()`.
  await handle.sql`create table outbox (
    seq bigserial primary key, event_id uuid not null unique, type text not null, payload jsonb not null,
    created_at timestamptz(3) not null default now(), published_at timestamptz(3))`;
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
});
