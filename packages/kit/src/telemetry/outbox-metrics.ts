import type postgres from 'postgres';
import type { Logger } from '../logger.ts';
import { gauge, histogram } from './metrics.ts';

const outboxes = new Map<string, Map<string, postgres.Sql>>();

/**
 * Outbox metrics of the service `logger` writes for, by destination queue: backlog and age of the oldest
 * unpublished event (read at each scrape from the outbox table), and the lag from write to publication.
 */
export function observeOutbox(logger: Logger, queue: string, sql: postgres.Sql) {
  const bound = (logger.bindings() as { service?: unknown }).service;
  const service = typeof bound === 'string' ? bound : 'unknown';
  let pools = outboxes.get(service);
  if (!pools) outboxes.set(service, (pools = new Map()));
  pools.set(queue, sql);
  const all = pools;
  const read = async () =>
    Promise.all(
      [...all].map(async ([name, pool]) => {
        try {
          const [row] = await pool<Array<{ backlog: string; age: number | null }>>`
            select count(*) as backlog, extract(epoch from clock_timestamp() - min(created_at))::float8 as age
            from outbox where published_at is null`;
          return { name, backlog: Number(row?.backlog ?? 0), age: row?.age ?? 0 };
        } catch {
          return null;
        }
      }),
    );
  gauge(service, 'shopgraph_outbox_backlog_events', 'Outbox events written and not yet published', ['queue'], async function collect() {
    this.reset();
    for (const row of await read()) if (row) this.set({ queue: row.name }, row.backlog);
  });
  gauge(service, 'shopgraph_outbox_oldest_unpublished_age_seconds', 'Age of the oldest unpublished outbox event (0 when none)', ['queue'], async function collect() {
    this.reset();
    for (const row of await read()) if (row) this.set({ queue: row.name }, row.age);
  });
  const lag = histogram(service, 'shopgraph_outbox_publish_lag_seconds', 'Time from an outbox event being written to its publication', ['queue']);
  return {
    published(events: Array<{ createdAt: Date }>) {
      const now = Date.now();
      for (const event of events) lag.observe({ queue }, Math.max(0, now - event.createdAt.getTime()) / 1000);
    },
    close() {
      all.delete(queue);
    },
  };
}
