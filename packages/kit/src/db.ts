import { getTableColumns, getTableName, type InferSelectModel, type SQL, sql, type Table } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export { ensureDatabase, withDatabase } from './database-admin.ts';

export type Database<TSchema extends Record<string, unknown>> = PostgresJsDatabase<TSchema>;

export interface DbHandle<TSchema extends Record<string, unknown>> {
  db: Database<TSchema>;
  sql: postgres.Sql;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Called for every SQL statement; tests count queries with it. */
  onQuery?: (query: string) => void;
}

/** False for what postgres.js sends on its own: connection set-up and its one-time array type lookup. */
function isApplicationQuery(query: string): boolean {
  return query.trim() !== '' && !query.includes('from pg_catalog.pg_type a');
}

/** Opens a postgres.js pool and a drizzle database over it. */
export function connectDb<TSchema extends Record<string, unknown>>(
  url: string,
  schema: TSchema,
  options: ConnectOptions = {},
): DbHandle<TSchema> {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // A connection that idles long is closed, so a restarted Postgres is picked up again.
    idle_timeout: 60,
    connect_timeout: 10,
    ...(options.onQuery ? { debug: (_conn: number, query: string) => isApplicationQuery(query) && options.onQuery?.(query) } : {}),
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** Applies the drizzle-kit migrations in `migrationsFolder`; safe to run on every start. */
export async function migrateDb(url: string, migrationsFolder: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // One migrator at a time per database, even with several replicas starting together.
    await sql`select pg_advisory_lock(4242)`;
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** A drizzle transaction over a database of `TSchema`. */
export type Transaction<TSchema extends Record<string, unknown>> = Parameters<Parameters<Database<TSchema>['transaction']>[0]>[0];

/** Either the database or a transaction: what a service method takes to join its caller's transaction. */
export type Executor<TSchema extends Record<string, unknown>> = Database<TSchema> | Transaction<TSchema>;

/**
 * Reads rows of `table` that a raw `sql` statement returned (keyed by column name, with the driver's values)
 * as the rows drizzle's query builder would give: for statements the builder cannot express, such as
 * data-modifying CTEs (`with updated as (update ... returning *), ... select * from updated`).
 * A column missing from the row is an error: the statement did not return the table's row.
 */
export function rowMapper<T extends Table>(table: T): (raw: Record<string, unknown>) => InferSelectModel<T> {
  const columns = Object.entries(getTableColumns(table));
  return (raw) =>
    Object.fromEntries(
      columns.map(([key, column]) => {
        if (!(column.name in raw)) throw new Error(`The row has no column ${column.name} of the table ${getTableName(table)}`);
        const value = raw[column.name];
        return [key, value == null ? null : column.mapFromDriverValue(value)];
      }),
    ) as InferSelectModel<T>;
}

/**
 * `column = any($1::type[])`: the values of a batch as one array parameter, so a batched read or write is one
 * prepared statement whatever the batch's size. Drizzle's `inArray` writes `in ($1, $2, …)`, a new statement for
 * every size, which PostgreSQL parses and plans, and postgres.js prepares and keeps, again on every connection.
 * The array takes the column's own type (a serial's is its integer type).
 */
export function anyOf(column: PgColumn, values: readonly unknown[]): SQL {
  const type = column.getSQLType().replace(/^(big|small)?serial$/, (_, size?: string) => (size === 'big' ? 'bigint' : size === 'small' ? 'smallint' : 'integer'));
  return sql`${column} = any(${sql.param(values.map((value) => column.mapToDriverValue(value)))}::${sql.raw(type)}[])`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID: every id in shopgraph is one, so anything else cannot name a row (and must not reach SQL). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** True when `error` is PostgreSQL's unique violation (23505), optionally of one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = ((error as { cause?: unknown })?.cause ?? error) as { code?: string; constraint_name?: string } | undefined;
  const direct = error as { code?: string; constraint_name?: string } | undefined;
  const hit = e?.code === '23505' ? e : direct?.code === '23505' ? direct : undefined;
  return !!hit && (!constraint || hit.constraint_name === constraint);
}
