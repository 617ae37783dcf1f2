import DataLoader from 'dataloader';
import { type Column, type SQL, sql } from 'drizzle-orm';

/**
 * Gathers the calls made within `windowMs` of each other (concurrent jobs reach the same step at slightly
 * different times) into one call of `batch`, at most `maxBatch` at a time. No caching: every call is a fresh
 * read or write. A failing batch fails each of its callers, who retry on their own.
 */
export function batched<K, V>(batch: (keys: readonly K[]) => Promise<Array<V | Error>>, options: { windowMs?: number; maxBatch?: number } = {}): (key: K) => Promise<V> {
  const { windowMs = 5, maxBatch = 100 } = options;
  const loader = new DataLoader<K, V>(batch, { cache: false, maxBatchSize: maxBatch, batchScheduleFn: (callback) => setTimeout(callback, windowMs) });
  return (key) => loader.load(key);
}

/**
 * `column = any($1::type[])`: one parameter whatever the batch's size, so a batched statement is one prepared
 * statement, not one per size (as `in ($1, $2, …)` would be).
 */
export function isAnyOf(column: Column, values: readonly string[], type: 'uuid' | 'text'): SQL {
  return sql`${column} = any(${sql.param([...values])}::${sql.raw(type)}[])`;
}
