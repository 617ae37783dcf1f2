import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectDb, createLogger, type DbHandle, migrateDb, withDatabase } from '@shopgraph/kit';
import { createTestDatabase, testDatabaseServerUrl } from '@shopgraph/kit/testing';
import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmailChannel } from '../src/channels/email.ts';
import { WebhookChannel } from '../src/channels/webhook.ts';
import { deliveries, type DeliveryRow, schema } from '../src/db/schema.ts';
import { type SmtpSink, startSmtpSink } from '../src/dev/smtp-sink.ts';
import { DeliveryBusyError, DispatcherService } from '../src/services/dispatcher.service.ts';
import { SecretBox } from '../src/services/secret-box.ts';
import { WebhooksService } from '../src/services/webhooks.service.ts';

/**
 * Email deliveries while notifications' PostgreSQL goes away between sending and recording, against a real
 * SMTP server and a real database fault: connections to the database are refused (ALLOW_CONNECTIONS false)
 * and every open one is terminated, right after the SMTP server accepted the message. Exactly one email.
 */

let db: DbHandle<typeof schema>;
let admin: postgres.Sql;
let smtp: SmtpSink;
let drop: () => Promise<void>;
let database: string;
const logger = createLogger('test', 'silent');
const policy = { allowPrivate: true, allowLinkLocal: false };

beforeAll(async () => {
  const created = await createTestDatabase('dispatch');
  drop = created.drop;
  database = new URL(created.url).pathname.slice(1);
  await migrateDb(created.url, fileURLToPath(new URL('../drizzle', import.meta.url)));
  db = connectDb(created.url, schema, { max: 2 });
  admin = postgres(withDatabase(testDatabaseServerUrl(), 'postgres'), { max: 1, onnotice: () => {} });
  smtp = await startSmtpSink();
});
afterAll(async () => {
  await db?.close();
  await admin?.unsafe(`alter database "${database}" allow_connections true`);
  await admin?.end();
  await smtp?.stop();
  await drop?.();
});

function dispatcher(hooks: { afterSend?: (row: DeliveryRow) => Promise<void>; recordRetryMs?: number; claimLeaseMs?: number } = {}) {
  return new DispatcherService(db.db, {
    email: new EmailChannel({ smtpUrl: smtp.url, from: 'shop@example.com', poolSize: 1, messageIdDomain: 'shopgraph.local' }),
    sms: null,
    webhook: new WebhookChannel({ policy, timeoutMs: 2_000 }),
    webhooks: new WebhooksService(db.db, new SecretBox('test'), policy),
    logger,
    ...hooks,
  });
}

async function newDelivery(): Promise<{ id: string; to: string }> {
  const to = `${randomUUID().slice(0, 8)}@example.com`;
  const [row] = await db.db
    .insert(deliveries)
    .values({ eventId: randomUUID(), eventType: 'order.paid', channel: 'EMAIL', recipient: to, content: { kind: 'email', to, subject: 'Payment confirmed', text: 'Thanks', html: '<p>Thanks</p>' } })
    .returning();
  return { id: row!.id, to };
}

/** The database refuses new connections and loses every open one (a crash or failover, as seen by clients). */
async function cutDatabase(): Promise<void> {
  await admin.unsafe(`alter database "${database}" allow_connections false`);
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`;
}

async function restoreDatabase(): Promise<void> {
  await admin.unsafe(`alter database "${database}" allow_connections true`);
}

/** Runs `attempt` as a queue retries a job: again after a failure, up to three times. */
async function retried<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= 3) throw error;
    }
  }
}

const copies = (to: string) => smtp.messages.filter((m) => m.to.includes(to));

describe('a database outage between sending and recording', () => {
  it('records the sent email once the database is back, without failing the job or sending it again', async () => {
    const { id, to } = await newDelivery();
    let restored: Promise<void> | undefined;
    const sender = dispatcher({
      afterSend: async () => {
        await cutDatabase();
        // Back after a while, while the dispatcher is retrying its record.
        restored = new Promise((resolve) => setTimeout(resolve, 1_500)).then(restoreDatabase);
      },
    });
    expect(await sender.dispatch(id, false)).toBe('sent');
    await restored;
    expect(copies(to)).toHaveLength(1);
    const [row] = await db.db.select().from(deliveries).where(eq(deliveries.id, id));
    expect(row).toMatchObject({ status: 'SENT', attempts: 1, sendingClaim: null, lastError: null });
    // The job again (at least once): nothing more is sent.
    expect(await sender.dispatch(id, false)).toBe('already-sent');
    expect(copies(to)).toHaveLength(1);
  });

  it('remembers a sent email whose record ran out of retries, and records it on the next attempt instead of sending again', async () => {
    const { id, to } = await newDelivery();
    const sender = dispatcher({ afterSend: cutDatabase, recordRetryMs: 300 });
    await expect(sender.dispatch(id, false)).rejects.toThrow();
    await restoreDatabase();
    expect(copies(to)).toHaveLength(1);
    // The job's retries, in the same process (the first may meet a connection the outage closed): recorded, not resent.
    expect(await retried(() => sender.dispatch(id, false))).toBe('sent');
    expect(copies(to)).toHaveLength(1);
    const [row] = await db.sql`select status, sending_claim from notification_deliveries where id = ${id}`;
    expect(row).toMatchObject({ status: 'SENT', sending_claim: null });
  });

  it('waits while another attempt holds a fresh claim, and sends again with the same Message-ID after its owner died', async () => {
    const { id, to } = await newDelivery();
    // An attempt claimed it and its process died before recording anything (did the message leave? unknown).
    await db.sql`update notification_deliveries set sending_claim = ${randomUUID()}, sending_since = now() where id = ${id}`;
    await expect(dispatcher({ claimLeaseMs: 60_000 }).dispatch(id, false)).rejects.toBeInstanceOf(DeliveryBusyError);
    expect(copies(to)).toHaveLength(0);
    // Past the lease its owner is gone: send again, recognisably the same message, and say so.
    expect(await dispatcher({ claimLeaseMs: 0 }).dispatch(id, false)).toBe('sent');
    const sent = copies(to);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.raw.toString()).toContain(`Message-ID: <${id}@shopgraph.local>`);
    const [row] = await db.sql`select status, last_error, sending_claim from notification_deliveries where id = ${id}`;
    expect(row).toMatchObject({ status: 'SENT', sending_claim: null });
    expect(row!.last_error).toMatch(/may have two copies/);
  });

  it('says so when two overlapping attempts both sent it, whichever records last', async () => {
    const { id, to } = await newDelivery();
    // B takes over A's claim (lease 0: as if A's send outlived it), sends, and records only after A recorded.
    let releaseB!: () => void;
    const bMayRecord = new Promise<void>((resolve) => (releaseB = resolve));
    const b = dispatcher({ claimLeaseMs: 0, afterSend: () => bMayRecord });
    let bDone: Promise<unknown> | undefined;
    const a = dispatcher({
      claimLeaseMs: 0,
      afterSend: async () => {
        bDone = b.dispatch(id, false);
        while (copies(to).length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      },
    });
    expect(await a.dispatch(id, false)).toBe('sent');
    const [afterA] = await db.sql`select status, last_error from notification_deliveries where id = ${id}`;
    expect(afterA).toMatchObject({ status: 'SENT', last_error: null });
    releaseB();
    expect(await bDone).toBe('sent');
    expect(copies(to)).toHaveLength(2);
    const [row] = await db.sql`select status, last_error from notification_deliveries where id = ${id}`;
    expect(row!.status).toBe('SENT');
    expect(row!.last_error).toMatch(/may have two copies/);
  });

  it('does not take a record that committed but lost its answer, and is tried again, for a second send', async () => {
    const { id } = await newDelivery();
    const sender = dispatcher();
    // `record` as recordWithRetries calls it: the same timestamp on every try of one outcome.
    const record = (at: Date) => sender['record'](id, randomUUID(), 1, { ok: true, error: null, status: 'SENT' }, at);
    const at = new Date();
    await record(at);
    await record(at); // the retry of a try whose commit happened but whose answer was lost
    const [row] = await db.sql`select status, last_error from notification_deliveries where id = ${id}`;
    expect(row).toMatchObject({ status: 'SENT', last_error: null });
    await record(new Date(at.getTime() + 1)); // another attempt's outcome: a second send
    const [again] = await db.sql`select last_error from notification_deliveries where id = ${id}`;
    expect(again!.last_error).toMatch(/may have two copies/);
  });

  it('claims before sending: with the database away nothing is sent, and the next attempt sends once', async () => {
    const { id, to } = await newDelivery();
    const sender = dispatcher();
    await cutDatabase();
    await expect(sender.dispatch(id, false)).rejects.toThrow();
    expect(copies(to)).toHaveLength(0);
    await restoreDatabase();
    expect(await retried(() => sender.dispatch(id, false))).toBe('sent');
    expect(copies(to)).toHaveLength(1);
  });
});
