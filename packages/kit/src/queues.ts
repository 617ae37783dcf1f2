import { type ConnectionOptions, type Job, type JobsOptions, Queue, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from './logger.ts';
import { captureTraceContext, restoreTraceContext, SpanKind, withRequestId, withSpan } from './telemetry/context.ts';
import { counter, gauge, histogram } from './telemetry/metrics.ts';

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
  traceEnqueues(queue);
  watchQueue(serviceOf(settings.logger), queue);
  return queue;
}

/** The service a logger writes for (its `service` binding). */
export function serviceOf(logger: Logger): string {
  const service = (logger.bindings() as { service?: unknown }).service;
  return typeof service === 'string' ? service : 'unknown';
}

/**
 * Jobs carry the trace context (and request id) they were enqueued in, in BullMQ's own per-job telemetry
 * metadata (`opts.telemetry.metadata`, stored with the job): the worker continues the trace. A job that already
 * has metadata (an outbox event's, captured when the event was written) keeps it.
 */
function traceEnqueues<TData>(queue: Queue<TData>): void {
  const withContext = (opts: JobsOptions | undefined): JobsOptions | undefined => {
    if (opts?.telemetry?.metadata) return opts;
    const metadata = captureTraceContext();
    return metadata ? { ...opts, telemetry: { ...opts?.telemetry, metadata } } : opts;
  };
  const add = queue.add.bind(queue);
  const addBulk = queue.addBulk.bind(queue);
  Object.assign(queue, {
    add: (name: Parameters<typeof add>[0], data: Parameters<typeof add>[1], opts?: JobsOptions) => add(name, data, withContext(opts)),
    addBulk: (jobs: Parameters<typeof addBulk>[0]) => addBulk(jobs.map((job) => ({ ...job, opts: withContext(job.opts) }))),
  });
}

const watched = new Map<string, Set<Queue>>();
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children'] as const;

/** Exposes the job counts of `queue` as `shopgraph_bullmq_queue_jobs{queue,state}` of `service`, read at each scrape. */
function watchQueue(service: string, queue: Queue): void {
  let queues = watched.get(service);
  if (!queues) watched.set(service, (queues = new Set()));
  queues.add(queue);
  const close = queue.close.bind(queue);
  queue.close = () => {
    queues.delete(queue);
    return close();
  };
  const all = queues;
  gauge(service, 'shopgraph_bullmq_queue_jobs', 'Jobs in each BullMQ queue by state', ['queue', 'state'], async function collect() {
    this.reset();
    await Promise.all(
      [...all].map(async (q) => {
        const counts = await q.getJobCounts(...QUEUE_STATES).catch(() => null);
        if (!counts) return;
        for (const state of QUEUE_STATES) this.set({ queue: q.name, state }, counts[state] ?? 0);
      }),
    );
  });
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
  const service = serviceOf(settings.logger);
  const processed = counter(service, 'shopgraph_bullmq_jobs_processed_total', 'BullMQ jobs processed by queue and outcome', ['queue', 'outcome']);
  const duration = histogram(service, 'shopgraph_bullmq_job_duration_seconds', 'Time a BullMQ job ran', ['queue']);
  const wait = histogram(service, 'shopgraph_bullmq_job_wait_seconds', 'Time from enqueue (or due time) to start of processing', ['queue']);
  const traced = async (job: Job<TData>, token?: string): Promise<unknown> => {
    const parent = restoreTraceContext(job.opts.telemetry?.metadata);
    const startedAt = Date.now();
    wait.observe({ queue: name }, Math.max(0, startedAt - job.timestamp - (job.opts.delay ?? 0)) / 1000);
    const attempt = job.attemptsMade + 1;
    // The job's line is written inside its span and request scope: it carries their ids.
    const run = () =>
      withSpan(
        `${name} process`,
        async () => {
          try {
            const result = await processor(job, token);
            processed.inc({ queue: name, outcome: 'completed' });
            settings.logger.info({ queue: name, jobId: job.id, job: job.name, attempt, durationMs: Date.now() - startedAt, outcome: 'completed' }, 'job done');
            return result;
          } catch (error) {
            processed.inc({ queue: name, outcome: 'failed' });
            settings.logger.warn({ err: error, queue: name, jobId: job.id, job: job.name, attempt, durationMs: Date.now() - startedAt, outcome: 'failed' }, 'job failed');
            throw error;
          } finally {
            duration.observe({ queue: name }, (Date.now() - startedAt) / 1000);
          }
        },
        {
          service,
          kind: SpanKind.CONSUMER,
          parent: parent.context,
          attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': name, 'messaging.operation.type': 'process', 'messaging.message.id': job.id ?? '', 'bullmq.job.name': job.name, 'bullmq.job.attempt': attempt },
        },
      );
    return parent.requestId ? withRequestId(parent.requestId, run) : run();
  };
  const worker = new Worker<TData>(name, traced, { connection: queueConnection(settings.redisUrl), prefix: settings.prefix, ...options });
  worker.on('error', (error) => settings.logger.error({ err: error, queue: name }, 'worker error'));
  // A job whose worker died is taken up again ('stalled'), or failed without its processor running once it
  // stalled too often: neither passes through the processor's own job line.
  worker.on('stalled', (jobId) => settings.logger.warn({ queue: name, jobId }, 'job stalled: its worker stopped renewing the lock; it runs again'));
  worker.on('failed', (job, error) => {
    if (/stalled/i.test(error.message)) {
      processed.inc({ queue: name, outcome: 'failed' });
      settings.logger.error({ err: error, queue: name, jobId: job?.id, job: job?.name, outcome: 'failed' }, 'job failed: stalled too often');
    }
  });
  return worker;
}
