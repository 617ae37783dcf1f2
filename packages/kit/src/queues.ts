import { type ConnectionOptions, type Job, type JobsOptions, Queue, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from './logger.ts';

export type { Job, JobsOptions, Queue };

/** BullMQ connection options from a redis:// URL (BullMQ opens and closes its own connections). */
export function queueConnection(redisUrl: string): ConnectionOptions {
  const url = new URL(redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    // Workers block on Redis; BullMQ requires unlimited retries per request on their connections.
    maxRetriesPerRequest: null,
  };
}

export interface QueueSettings {
  redisUrl: string;
  /** Key prefix of every queue (tests use a unique one). */
  prefix: string;
  logger: Logger;
}

/** A producer for queue `name`, with errors logged rather than thrown into the void. */
export function createQueue<TData>(name: string, settings: QueueSettings, defaultJobOptions: JobsOptions = {}): Queue<TData> {
  const queue = new Queue<TData>(name, {
    connection: queueConnection(settings.redisUrl),
    prefix: settings.prefix,
    defaultJobOptions: { removeOnComplete: { age: 24 * 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 }, ...defaultJobOptions },
  });
  queue.on('error', (error) => settings.logger.error({ err: error, queue: name }, 'queue error'));
  return queue;
}

/**
 * Lock settings for jobs that must survive a killed worker: a job's lock lasts `lockMs`, stalled jobs are
 * looked for twice per lock period and taken up again (up to 10 times) rather than failed.
 */
export function recoverableLock(lockMs: number): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> {
  return { lockDuration: lockMs, stalledInterval: Math.max(500, Math.floor(lockMs / 2)), maxStalledCount: 10 };
}

/** A worker for queue `name` that logs failures; close it on shutdown (lets active jobs finish). */
export function createWorker<TData>(
  name: string,
  processor: (job: Job<TData>, token?: string) => Promise<unknown>,
  settings: QueueSettings,
  options: Omit<WorkerOptions, 'connection' | 'prefix'> = {},
): Worker<TData> {
  const worker = new Worker<TData>(name, processor, { connection: queueConnection(settings.redisUrl), prefix: settings.prefix, ...options });
  worker.on('error', (error) => settings.logger.error({ err: error, queue: name }, 'worker error'));
  worker.on('failed', (job, error) =>
    settings.logger.warn({ err: error, queue: name, jobId: job?.id, attempt: job?.attemptsMade }, 'job failed'),
  );
  return worker;
}
