import { createQueue, createWorker, type Job, type Logger, type QueueSettings } from '@shopgraph/kit';
import type { Queue, Worker } from 'bullmq';
import type { ModelVersionRow } from '../db/schema.ts';
import type { LearningService } from '../services/learning.service.ts';

/** The queue of trainings: `train` jobs of a version the mutation began, and the scheduled `scheduled` job. */
export const TRAINING_QUEUE = 'recommendations.training';

export type TrainingJob = { kind: 'train'; version: number } | { kind: 'scheduled' };

const SCHEDULER_ID = 'retrain-recommendations';

/**
 * Trains models in the background, one at a time per worker: on a schedule (every `intervalMinutes`; 0 = off)
 * and when an admin asks (`retrainRecommendations`). Job id `train-<version>`, so a version is trained once.
 */
export class Training {
  readonly queue: Queue<TrainingJob>;
  private worker: Worker<TrainingJob> | undefined;

  constructor(private readonly settings: QueueSettings & { intervalMinutes: number; runWorker: boolean }) {
    // A failed training is not retried: its version is FAILED and the next request or schedule trains anew.
    this.queue = createQueue<TrainingJob>(TRAINING_QUEUE, settings, { attempts: 1 });
  }

  /** Begins a version and enqueues its training; returns the version (TRAINING). */
  async request(learning: LearningService): Promise<ModelVersionRow> {
    const version = await learning.beginVersion();
    await this.queue.add('train', { kind: 'train', version: version.version }, { jobId: `train-${version.version}` });
    return version;
  }

  /** Starts the schedule (idempotently, across replicas) and, unless told not to, the worker. */
  async start(learning: LearningService, logger: Logger): Promise<void> {
    if (this.settings.intervalMinutes > 0) {
      await this.queue.upsertJobScheduler(SCHEDULER_ID, { every: this.settings.intervalMinutes * 60_000 }, { name: 'scheduled', data: { kind: 'scheduled' } });
    } else {
      await this.queue.removeJobScheduler(SCHEDULER_ID);
    }
    if (!this.settings.runWorker) return;
    this.worker = createWorker<TrainingJob>(
      TRAINING_QUEUE,
      async (job: Job<TrainingJob>) => {
        const version = job.data.kind === 'train' ? job.data.version : (await learning.beginVersion()).version;
        const model = await learning.train(version);
        logger.info({ version, orders: model.orders, products: model.products }, 'recommendation model trained');
        return { version, orders: model.orders };
      },
      this.settings,
      // One training at a time per process; a long training keeps its lock.
      { concurrency: 1, lockDuration: 120_000 },
    );
  }

  /** Lets a running training finish, then closes the worker and the queue. */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}
