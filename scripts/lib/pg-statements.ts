/**
 * SQL statements a benchmark's stack ran, from pg_stat_statements of its embedded PostgreSQL (started with
 * `PG_STAT_STATEMENTS_SETTINGS`): calls per database, and calls per normalised statement of one database.
 */
import postgres from 'postgres';

/** The stack environment that loads pg_stat_statements into the embedded PostgreSQL. */
export const PG_STAT_STATEMENTS_SETTINGS = { EMBEDDED_PG_SETTINGS: 'shared_preload_libraries=pg_stat_statements' };

export interface StatementCounter {
  /** Calls so far by database (without the `shopgraph_` prefix). */
  byDatabase(): Promise<Map<string, number>>;
  /** Calls so far per normalised statement of one database. */
  ofDatabase(database: string): Promise<Map<string, number>>;
  end(): Promise<void>;
}

export async function statementCounter(pgPort: number): Promise<StatementCounter> {
  const admin = postgres(`postgres://postgres:postgres@127.0.0.1:${pgPort}/postgres`, { max: 1, onnotice: () => {} });
  await admin`create extension if not exists pg_stat_statements`;
  return {
    byDatabase: async () =>
      new Map(
        (await admin<Array<{ datname: string; calls: string }>>`select d.datname, sum(s.calls)::text as calls from pg_stat_statements s join pg_database d on d.oid = s.dbid group by d.datname`).map((r) => [
          r.datname.replace(/^shopgraph_/, ''),
          Number(r.calls),
        ]),
      ),
    ofDatabase: async (database) =>
      new Map(
        (
          await admin<Array<{ query: string; calls: string }>>`select s.query, sum(s.calls)::text as calls from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = ${`shopgraph_${database}`} group by s.query`
        ).map((r) => [r.query, Number(r.calls)]),
      ),
    end: () => admin.end(),
  };
}

/** `after - before` per key, only the keys that grew, most first. */
export function grown(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after].map(([key, n]) => [key, n - (before.get(key) ?? 0)] as [string, number]).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
}
