import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import postgres from 'postgres';
import { withDatabase } from '../db.ts';

/**
 * Test helpers. Integration tests run against the real PostgreSQL and Redis that the vitest global
 * setup provides (embedded by default, or DATABASE_URL / REDIS_URL when set).
 */

/** The admin connection URL of the test PostgreSQL server. */
export function testDatabaseServerUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through vitest (its global setup starts PostgreSQL)');
  return url;
}

/** The test Redis URL. */
export function testRedisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: run tests through vitest (its global setup starts Redis)');
  return url;
}

/** Creates a fresh, uniquely named database for one test file; `drop()` removes it. */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `t_${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = postgres(withDatabase(testDatabaseServerUrl(), 'postgres'), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  return {
    url: withDatabase(testDatabaseServerUrl(), name),
    drop: async () => {
      const sql = postgres(withDatabase(testDatabaseServerUrl(), 'postgres'), { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}

/** A unique prefix for Redis keys or queue names of one test file. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Whether something accepts TCP connections on `host:port`. */
export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface GraphQLResponse<TData = Record<string, unknown>> {
  status: number;
  headers: Headers;
  data?: TData | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }>;
}

/** Posts a GraphQL operation and returns status, data and errors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read responses by path without declaring types
export async function gql<TData = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: TData; errors?: GraphQLResponse['errors'] } = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { errors: [{ message: text }] };
  }
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors };
}

/** The `extensions.code` of the first error, for terse assertions. */
export function errorCode(response: GraphQLResponse<unknown>): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}
