import DataLoader from 'dataloader';
import { type SQL, sql } from 'drizzle-orm';

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
 * `unnest($1::type[], $2::type[], …) as alias(column, …)`: a batch's rows as a table, one array parameter per
 * column, so a statement that writes a batch is one prepared statement whatever the batch's size (a `values`
 * list would be a new statement for every size). Enums and jsonb travel as text and are cast where they are used.
 * Booleans and timestamps travel as text cast to their array type: postgres.js types a parameter holding JS
 * booleans as one boolean (not an array), and drizzle's timestamp serialiser does not take an array.
 */
export function unnest<R>(rows: readonly R[], columns: Record<string, [type: 'uuid' | 'text' | 'int' | 'boolean' | 'timestamptz', value: (row: R) => unknown]>, alias = 'v'): SQL {
  const names = Object.keys(columns);
  const arrays = names.map((name) => {
    const [type, value] = columns[name]!;
    if (type === 'boolean' || type === 'timestamptz') return sql`${sql.param(rows.map((row) => (value(row) == null ? null : String(value(row)))))}::text[]::${sql.raw(type)}[]`;
    return sql`${sql.param(rows.map(value))}::${sql.raw(type)}[]`;
  });
  return sql`unnest(${sql.join(arrays, sql`, `)}) as ${sql.raw(alias)}(${sql.raw(names.join(', '))})`;
}
