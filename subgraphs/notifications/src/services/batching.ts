import DataLoader from 'dataloader';

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
