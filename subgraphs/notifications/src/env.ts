import { subgraphEnvShape } from '@shopgraph/kit';
import { z } from 'zod';

const url = (port: number) => z.string().url().default(`http://127.0.0.1:${port}/graphql`);
const flag = (fallback: 'true' | 'false') => z.enum(['true', 'false']).default(fallback).transform((v) => v === 'true');

/** The notifications subgraph's variables, on top of every subgraph's. */
export const notificationsEnvShape = {
  ...subgraphEnvShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(4008),
  /** Subgraphs notifications reads message data from (internal calls). */
  USERS_URL: url(4001),
  ORDERS_URL: url(4005),
  SHIPPING_URL: url(4007),
  /** payments, asked for the invoice PDF attached to the payment confirmation. */
  PAYMENTS_URL: url(4006),
  INTERNAL_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Run the BullMQ workers in this process (false: a separate `src/worker.ts` process runs them). */
  NOTIFY_WORKERS: flag('true'),
  /** Delivery jobs processed in parallel per process. */
  NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  /** Order event jobs processed in parallel per process; those in flight together are planned as one batch. */
  NOTIFY_EVENTS_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(100),
  /** Attempts of one delivery before it is DEAD, and the first backoff delay (doubling, capped) between them. */
  NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  NOTIFY_BACKOFF_MS: z.coerce.number().int().min(1).max(3_600_000).default(30_000),
  NOTIFY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(3_600_000),
  /** How long a worker's lock on a job lasts; a killed worker's job is taken up again after it. */
  NOTIFY_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
  /** SMTP server of outgoing mail, e.g. smtp://user:pass@mail.example.com:587 (smtps:// for TLS). */
  SMTP_URL: z.string().url().refine((u) => /^smtps?:\/\//.test(u), 'must be an smtp:// or smtps:// URL').default('smtp://127.0.0.1:1025'),
  /** Sender of emails. */
  MAIL_FROM: z.string().min(3).default('shopgraph <no-reply@shopgraph.local>'),
  /** Parallel SMTP connections per process. */
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(50).default(5),
  /** Domain of the deterministic Message-IDs (<delivery id>@domain). */
  MAIL_MESSAGE_ID_DOMAIN: z.string().regex(/^[a-z0-9.-]+$/i).default('shopgraph.local'),
  /** Twilio-style SMS provider; SMS is disabled unless the URL, account SID, token and sender are all set. */
  SMS_API_URL: z.string().url().optional(),
  SMS_ACCOUNT_SID: z.string().min(1).optional(),
  SMS_AUTH_TOKEN: z.string().min(1).optional(),
  SMS_FROM: z.string().min(1).optional(),
  /** Timeout of one webhook or SMS request, in milliseconds. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Let webhook URLs point at loopback and private networks (development and tests only). */
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: flag('false'),
  /** Let webhook URLs point at link-local / cloud metadata addresses (169.254.0.0/16, fe80::/10). */
  WEBHOOK_ALLOW_LINK_LOCAL: flag('false'),
  /** Key (32+ characters) that encrypts webhook secrets at rest; defaults to one derived from INTERNAL_SECRET. */
  WEBHOOK_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Test-only fault hook (NODE_ENV=test): the worker process exits with 137 just before sending. */
  NOTIFY_CRASH_BEFORE_SEND: flag('false'),
};

export type NotificationsEnv = z.infer<z.ZodObject<typeof notificationsEnvShape>>;
